use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(skip)]
    #[session(owner)]
    user_id: Option<u64>,
}

fn main() {}
