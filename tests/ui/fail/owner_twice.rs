use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(owner)]
    user_id: Option<u64>,
    #[session(owner)]
    account: Option<String>,
}

fn main() {}
