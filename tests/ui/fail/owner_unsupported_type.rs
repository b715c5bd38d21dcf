// An owner's text form indexes its sessions, so it must be stable: a float is not, and
// neither are raw bytes, which have no text form at all. The error is on each type.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct Scored {
    #[session(owner)]
    score: f64,
}

#[derive(Session, Serialize, Deserialize, Default)]
struct Keyed {
    #[session(owner, readonly)]
    key: Vec<u8>,
}

fn main() {}
