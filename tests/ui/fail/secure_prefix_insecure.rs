use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "__Secure-user", secure = false)]
struct User {}

fn main() {}
