//! Typed HTTP sessions.
//!
//! This crate is being built; see the workspace README for the plan.

pub mod codec;
mod error;
mod key;

pub use error::{BoxError, Error, Result};
pub use key::{KEY_LEN, Key, KeyId, KeyRing, MIN_SECRET_LEN};
