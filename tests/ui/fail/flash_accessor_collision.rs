use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    #[session(flash)]
    notices: Vec<String>,
    take_notices: bool,
}

fn main() {}
