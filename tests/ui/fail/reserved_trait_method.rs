use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    clone: u8,
}

fn main() {}
