// A private struct with private fields, most accessors unused, under deny(warnings):
// nothing generated may warn (dead code, unused, missing docs).
#![deny(warnings)]

use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct Visits {
    count: u32,
    #[session(flash)]
    last: Option<String>,
    #[session(readonly)]
    first_seen: u64,
}

#[derive(Session, Serialize, Deserialize, Default)]
struct Unused {
    a: u8,
}

fn main() {
    let _count = VisitsSession::count;
}
