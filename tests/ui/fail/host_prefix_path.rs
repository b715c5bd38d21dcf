use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "__Host-user", path = "/app")]
struct User {}

fn main() {}
