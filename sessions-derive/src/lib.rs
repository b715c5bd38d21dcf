//! The `#[derive(Session)]` macro of the `sessions` crate (being built).
