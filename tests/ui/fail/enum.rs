use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
enum User {
    #[default]
    Anonymous,
}

fn main() {}
