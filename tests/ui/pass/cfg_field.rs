// A `#[cfg]`'d-out field takes its accessors along; field docs do not get in the way.
#![deny(warnings)]

use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
pub struct Flags {
    /// Always there.
    pub on: bool,
    #[cfg(any())]
    pub never: bool,
    #[cfg(all())]
    #[session(flash)]
    pub always: Vec<u8>,
}

fn main() {
    let _on = FlagsSession::on;
    let _always = FlagsSession::push_always;
}
