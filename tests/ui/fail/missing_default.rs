// The compiler reports the missing supertrait once, on the struct, not once per accessor.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize)]
struct User {
    id: u64,
}

fn main() {}
