//! A public session under the strictest lints a user crate may set; the derive's
//! output must not trip any of them. (Clippy does not run in trybuild: the same struct
//! is also in `tests/tests/derive.rs`, which the workspace clippy run checks.)
#![deny(warnings, missing_docs, unreachable_pub, unused, rust_2018_idioms)]
#![deny(missing_debug_implementations, unused_qualifications, unused_results)]
#![deny(clippy::pedantic)]

use serde::{Deserialize, Serialize};
use sessions::Session;

/// The signed-in user.
#[derive(Session, Serialize, Deserialize, Default, Debug)]
#[session(name = "user", max_age = 604800, idle_timeout = 1800)]
pub struct User {
    /// Set on login.
    #[session(owner)]
    pub user_id: Option<u64>,
    /// `light` or `dark`.
    pub theme: String,
    /// Read-once messages.
    #[session(flash)]
    pub notices: Vec<String>,
    /// The last error, shown once.
    #[session(flash)]
    pub error: Option<String>,
    /// Set once.
    #[session(readonly)]
    pub created: u64,
    /// Not exposed by accessors.
    #[session(skip)]
    pub internal: u8,
    /// Only readable by this crate.
    pub(crate) visits: u32,
    secret: u8,
}

fn main() {}
