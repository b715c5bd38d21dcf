use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(flash)]
    notices: std::collections::HashMap<String, String>,
}

fn main() {}
