use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "__Host-user", domain = "example.com")]
struct User {}

fn main() {}
