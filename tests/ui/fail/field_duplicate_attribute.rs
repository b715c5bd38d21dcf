use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(readonly)]
    #[session(readonly)]
    id: u64,
}

fn main() {}
