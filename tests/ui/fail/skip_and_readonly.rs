use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(skip, readonly)]
    id: u64,
}

fn main() {}
