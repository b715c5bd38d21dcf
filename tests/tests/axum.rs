//! Session types as axum extractors, through a real axum `Router` served on
//! a loopback port and driven by a client that carries cookies.

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sessions::{
    CookieStore, DEFAULT_MAP_CONFIG, Handle, Key, MapSession, MemoryStore, Session, SessionLayer,
};
use sessions_tests::{Client, serve_tower};

#[derive(Session, Serialize, Deserialize, Default, Clone)]
#[session(name = "user")]
struct User {
    name: Option<String>,
    #[session(flash)]
    notices: Vec<String>,
}

#[derive(Session, Serialize, Deserialize, Default, Clone)]
#[session(name = "cart", store = "memory")]
struct Cart {
    items: Vec<u32>,
}

async fn whoami(user: UserSession) -> String {
    let notices = user.take_notices().await.unwrap_or_default().join(",");
    format!("{}|{notices}", user.name().unwrap_or_default())
}

async fn login(user: UserSession) -> &'static str {
    user.renew();
    user.set_name(Some("ada".to_owned()));
    user.push_notices("welcome".to_owned());
    "ok"
}

async fn add(cart: CartSession, user: Handle<User>, visits: MapSession) -> String {
    cart.update(|c| c.items.push(7));
    let count = visits.get::<u32>("count").ok().flatten().unwrap_or(0) + 1;
    visits.insert("count", &count).expect("a u32 encodes");
    let name = user.with(|u| u.name.clone()).unwrap_or_default();
    format!("{name} has {} item(s), visit {count}", cart.items().len())
}

fn router() -> Router {
    Router::new()
        .route("/", get(whoami))
        .route("/login", post(login))
        .route("/add", post(add))
}

fn layer() -> SessionLayer {
    let key = Key::generate();
    SessionLayer::new(CookieStore::new(key.clone()))
        .with_store("memory", MemoryStore::new(key))
        .with_map_config(DEFAULT_MAP_CONFIG.with_secure(false))
        .expect("the map config keeps every rule")
}

#[tokio::test]
async fn derived_sessions_handles_and_map_sessions_extract() {
    let server = serve_tower(router().layer(layer())).await;
    let mut browser = Client::new(server.addr());

    assert_eq!(browser.get("/").await.body, "|");
    assert_eq!(browser.post_form("/login", &[]).await.body, "ok");
    assert_eq!(
        browser.get("/").await.body,
        "ada|welcome",
        "the flash shows once"
    );
    assert_eq!(browser.get("/").await.body, "ada|");

    let reply = browser.post_form("/add", &[]).await;
    assert_eq!(reply.body, "ada has 1 item(s), visit 1");
    assert_eq!(
        reply.set_cookies().len(),
        2,
        "cart and map session: {reply:?}"
    );
    assert_eq!(reply.vary_cookie_count(), 1);
    let reply = browser.post_form("/add", &[]).await;
    assert_eq!(reply.body, "ada has 2 item(s), visit 2");
    server.shutdown().await;
}

#[tokio::test]
async fn a_missing_layer_is_a_clear_500() {
    let server = serve_tower(router()).await;
    let mut browser = Client::new(server.addr());
    let reply = browser.get("/").await;
    assert_eq!(reply.status, 500);
    assert!(
        reply.body.contains("session layer missing"),
        "{}",
        reply.body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_missing_store_is_a_500_that_names_nothing_secret() {
    let layer = SessionLayer::new(CookieStore::new(Key::generate()));
    let server = serve_tower(router().layer(layer)).await;
    let mut browser = Client::new(server.addr());
    let reply = browser.post_form("/add", &[]).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "session unavailable");
    server.shutdown().await;
}
