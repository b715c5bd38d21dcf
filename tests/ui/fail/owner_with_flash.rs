use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(owner, flash)]
    user_id: Option<u64>,
}

fn main() {}
