use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(domain = "example.com;Secure")]
struct User {}

fn main() {}
