use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(path = "app")]
struct User {}

fn main() {}
