//! Code the examples share, tested like library code.
//!
//! - [`sqlite`]: a custom server-side store on SQLite, served by
//!   `cargo run --example custom_backend` and checked by the store
//!   conformance suite in `tests/sqlite_conformance.rs`.

pub mod sqlite;
