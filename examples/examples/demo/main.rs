//! A hyper server with two typed sessions, usable in a browser: the code is
//! in `sessions_examples::demo` (`examples/src/demo/`), which the browser
//! test `tests/demo_browser.rs` serves too.
//!
//! ```sh
//! cargo run --example demo                 # http://127.0.0.1:3000
//! SESSION_KEY="$(cargo run -q --example keygen)" PORT=8080 cargo run --example demo
//! ```
//!
//! Log in, see a flash once, switch the theme, log in as the same user from
//! a second browser (or a private window) and log one out from the other's
//! `/sessions` page. The panel at the bottom of each page tells which store
//! holds each session, how large its cookie is and when it expires. The
//! `user` sessions live in `SESSIONS_DIR` (default `target/demo-sessions`).

use std::fmt::Display;
use std::net::SocketAddr;
use std::time::Duration;

use sessions::{CookieStore, FileStore, Key};
use tokio::net::TcpListener;

use sessions_examples::demo::Demo;
use sessions_examples::env;

#[tokio::main]
async fn main() {
    let addr = SocketAddr::from(([127, 0, 0, 1], env::port().unwrap_or_else(|e| fail(e))));
    let key = env::session_key("demo").unwrap_or_else(|e| fail(e));
    let listener = TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| fail(format_args!("cannot listen on {addr}: {error}")));
    let demo = Demo::new(CookieStore::new(key.clone()), file_store(&key));
    println!("demo: serving on http://{addr}/ (Ctrl-C to stop)");
    demo.serve(listener, async {
        // An error here means no Ctrl-C handler: stop rather than run on
        // unstoppable.
        let _ = tokio::signal::ctrl_c().await;
        println!("demo: shutting down");
    })
    .await;
}

/// The server-side store of the `user` session, with a reaper that deletes
/// expired sessions every ten minutes.
fn file_store(key: &Key) -> FileStore {
    let dir = std::env::var("SESSIONS_DIR").unwrap_or_else(|_| "target/demo-sessions".to_owned());
    let store = FileStore::open(&dir, key.clone())
        .unwrap_or_else(|error| fail(format_args!("SESSIONS_DIR {dir}: {error}")));
    drop(store.spawn_reaper(Duration::from_mins(10)));
    println!("demo: user sessions are kept in {dir}");
    store
}

fn fail(message: impl Display) -> ! {
    eprintln!("demo: {message}");
    std::process::exit(1)
}
