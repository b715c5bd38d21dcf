use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "user", max_age = 60)]
#[session(name = "account")]
struct User {}

fn main() {}
