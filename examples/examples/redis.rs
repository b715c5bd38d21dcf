//! Two app servers, one Redis: log in on one, be logged in on the other.
//!
//! ```sh
//! redis-server --port 6379 &               # scripts/setup.sh installs it
//! cargo run --example redis                # servers on :3000 and :3001
//! REDIS_URL=redis://127.0.0.1:6380/ cargo run --example redis
//! ```
//!
//! Both servers share the key and the Redis, as servers behind a load
//! balancer do. Each answers with its own name, so you can see who served:
//!
//! ```sh
//! curl -c jar -b jar -d username=alice http://127.0.0.1:3000/login
//! curl -c jar -b jar http://127.0.0.1:3001/     # "server B: alice"
//! curl -c jar -b jar -X POST http://127.0.0.1:3001/logout
//! curl -c jar -b jar http://127.0.0.1:3000/     # "server A: nobody"
//! ```
//!
//! The cookie holds only a sealed session id; the session itself is in
//! Redis under `session:<id>`, with a TTL equal to its expiry. Logging out
//! deletes it, on every server at once.

use std::error::Error;
use std::net::SocketAddr;

use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};
use sessions::{Key, RedisStore, Session, SessionLayer};
use tokio::net::TcpListener;

/// Who is logged in. `secure = false`: served over plain http on localhost.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", secure = false)]
struct User {
    username: Option<String>,
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    // Every server must share the key: in production, SESSION_KEY.
    let key = sessions_examples::env::session_key("redis")?;
    let servers = [("A", 3000), ("B", 3001)].map(|(name, port)| {
        let (url, key) = (url.clone(), key.clone());
        tokio::spawn(async move {
            serve(name, port, &url, key)
                .await
                .map_err(|e| e.to_string())
        })
    });
    for server in servers {
        server.await??;
    }
    Ok(())
}

/// One app server: its own connection to the shared Redis.
async fn serve(name: &'static str, port: u16, url: &str, key: Key) -> Result<(), Box<dyn Error>> {
    let store = RedisStore::connect(url, key).await?;
    let app = Router::new()
        .route("/", get(whoami))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(SessionLayer::new(store))
        .with_state(name);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    println!("server {name}: http://{addr}/ (sessions in {url})");
    axum::serve(TcpListener::bind(addr).await?, app).await?;
    Ok(())
}

async fn whoami(State(name): State<&'static str>, user: UserSession) -> String {
    let who = user.username().unwrap_or_else(|| "nobody".to_owned());
    format!("server {name}: {who}\n")
}

async fn login(user: UserSession, Form(login): Form<Login>) -> Redirect {
    user.renew(); // a new id at login: an id planted before it is worthless
    user.set_username(Some(login.username));
    Redirect::to("/")
}

async fn logout(user: UserSession) -> Redirect {
    user.destroy();
    Redirect::to("/")
}
