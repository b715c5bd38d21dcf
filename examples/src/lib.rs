//! Code the examples share, tested like library code.
//!
//! - [`demo`]: the demo's server (`cargo run --example demo`), which
//!   `tests/demo_browser.rs` drives in a headless browser;
//! - [`env`](mod@env): the settings every server example reads (`SESSION_KEY`,
//!   `PORT`);
//! - [`html`]: escaping for the pages they serve;
//! - [`sqlite`]: a custom server-side store on SQLite, served by
//!   `cargo run --example custom_backend` and checked by the store
//!   conformance suite in `tests/sqlite_conformance.rs`.

pub mod demo;
pub mod env;
pub mod html;
pub mod sqlite;
