use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_per_owner = 0)]
struct NoSession {
    #[session(owner)]
    user_id: u64,
}

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_per_owner = "5")]
struct Quoted {
    #[session(owner)]
    user_id: u64,
}

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_per_owner = 5000000000)]
struct TooMany {
    #[session(owner)]
    user_id: u64,
}

fn main() {}
