use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    theme: String,
    set_theme: bool,
}

fn main() {}
