use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(idle_timeout = 1.5)]
struct User {}

fn main() {}
