use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(partitioned, secure = false)]
struct User {}

fn main() {}
