use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(flash, readonly)]
    notices: Vec<String>,
}

fn main() {}
