//! Two app servers, one PostgreSQL: log in on one, be logged in on the
//! other, and see every device you are logged in on.
//!
//! ```sh
//! # a PostgreSQL you can reach, e.g. Debian's postgresql package:
//! DATABASE_URL=postgres://app:secret@127.0.0.1/app cargo run --example postgres
//! ```
//!
//! Each server migrates at start (idempotent: the first one creates the
//! table, the other finds it), and one of them reaps expired rows every
//! ten minutes. Each answers with its own name, so you can see who served:
//!
//! ```sh
//! curl -c jar -b jar -d username=alice http://127.0.0.1:3000/login
//! curl -c jar -b jar http://127.0.0.1:3001/     # "server B: alice, 1 session(s)"
//! curl -c jar -b jar -X POST http://127.0.0.1:3001/logout
//! curl -c jar -b jar http://127.0.0.1:3000/     # "server A: nobody"
//! ```
//!
//! The cookie holds only a sealed session id; the session is a row of the
//! `sessions` table, its owner (the username) in an indexed column.

use std::error::Error;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};
use sessions::store::{PostgresBackend, PostgresOptions, ServerStore};
use sessions::{Key, PostgresStore, Session, SessionLayer};
use tokio::net::TcpListener;

/// Who is logged in, owner of the session. `secure = false`: served over
/// plain http on localhost.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", secure = false, store = "postgres")]
struct User {
    #[session(owner)]
    username: Option<String>,
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1/postgres".into());
    // Every server must share the key: in production, SESSION_KEY.
    let key = sessions_examples::env::session_key("postgres")?;
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

/// One app server: its own pool on the shared database.
async fn serve(name: &'static str, port: u16, url: &str, key: Key) -> Result<(), Box<dyn Error>> {
    let options = PostgresOptions::new().timeout(Duration::from_secs(2));
    let backend = PostgresBackend::connect(url, options).await?;
    backend.migrate().await?;
    let store: PostgresStore = ServerStore::from_backend(backend, key.clone());
    if name == "A" {
        // One reaper is enough; a second would find nothing left to do.
        store.spawn_reaper(Duration::from_mins(10));
    }
    let layer = SessionLayer::new(sessions::CookieStore::new(key)).with_store("postgres", store);
    let app = Router::new()
        .route("/", get(whoami))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(layer)
        .with_state(name);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    println!("server {name}: http://{addr}/");
    axum::serve(TcpListener::bind(addr).await?, app).await?;
    Ok(())
}

async fn whoami(State(name): State<&'static str>, user: UserSession) -> String {
    let Some(who) = user.username() else {
        return format!("server {name}: nobody\n");
    };
    match user.owner_sessions().await {
        Ok(devices) => format!("server {name}: {who}, {} session(s)\n", devices.len()),
        Err(error) => format!("server {name}: {who}, sessions unavailable ({error})\n"),
    }
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
