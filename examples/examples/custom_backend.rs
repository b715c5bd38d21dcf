//! A custom server-side store: sessions in an SQLite database.
//!
//! ```sh
//! cargo run --example custom_backend                    # ./sessions.db
//! cargo run --example custom_backend -- /tmp/app.db     # another file
//! ```
//!
//! The backend is `examples/src/sqlite.rs`: a hundred-odd lines that
//! implement `sessions::store::Backend` with plain `async fn`s
//! (create-if-absent, load, compare-and-set update, delete, cleanup), checked by
//! the `sessions-conformance` suite in `examples/tests/sqlite_conformance.rs`.
//! `ServerStore::from_backend` does the rest: random ids, sealed in the
//! cookie, renew, timeouts, the record size limit.
//!
//! Set `SESSION_KEY` (from `cargo run -q --example keygen`) for sessions
//! that survive a restart, and `PORT` to serve on another port than 3000.

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sessions::store::ServerStore;
use sessions::{Session, SessionLayer};
use sessions_examples::sqlite::SqliteBackend;
use tokio::net::TcpListener;

/// How often expired rows are deleted.
const CLEANUP_EVERY: Duration = Duration::from_mins(10);

/// A visit counter that lives in the database; the cookie holds only its
/// sealed id. `secure = false`: served over plain http on localhost, where
/// curl refuses a `Secure` cookie. Behind TLS, leave it out.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "visit", max_age = 3600, secure = false)]
struct Visit {
    count: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("sessions.db"), PathBuf::from);
    let addr = SocketAddr::from(([127, 0, 0, 1], sessions_examples::env::port()?));
    let backend = SqliteBackend::open(&path)?;
    // Shared: the layer uses the store, the cleanup task calls its
    // `cleanup_expired`.
    let store = Arc::new(ServerStore::from_backend(
        backend,
        sessions_examples::env::session_key("custom_backend")?,
    ));
    tokio::spawn(clean_up(Arc::clone(&store)));
    let app = Router::new()
        .route("/", get(count))
        .route("/forget", post(forget))
        .layer(SessionLayer::new(store));

    let listener = TcpListener::bind(addr).await?;
    let url = format!("http://{addr}");
    let db = path.display();
    println!("custom_backend: sessions in {db}, serving on {url}/ (Ctrl-C to stop)");
    println!("try:");
    println!("  curl -b jar -c jar {url}/              # visit #1, then #2, ...");
    println!("  curl -b jar -c jar -X POST {url}/forget");
    println!(
        "  sqlite3 {db} 'SELECT id, length(record), datetime(expires, \"unixepoch\") FROM sessions'"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // No Ctrl-C handler means no graceful shutdown: run until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await?;
    Ok(())
}

async fn count(visit: VisitSession) -> String {
    let count = visit.update(|visit| {
        visit.count += 1;
        visit.count
    });
    format!("visit #{count}\n")
}

async fn forget(visit: VisitSession) -> &'static str {
    visit.destroy();
    "forgotten: the row is deleted and the cookie removed\n"
}

/// Deletes expired rows now and every [`CLEANUP_EVERY`]: nothing else
/// would, since a session nobody comes back for is never loaded again.
async fn clean_up(store: Arc<ServerStore<SqliteBackend>>) {
    let mut every = tokio::time::interval(CLEANUP_EVERY);
    loop {
        every.tick().await;
        match store.cleanup_expired().await {
            Ok(0) => {}
            Ok(removed) => println!("custom_backend: deleted {removed} expired session(s)"),
            Err(error) => eprintln!("custom_backend: cleanup failed: {error:?}"),
        }
    }
}
