use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_age = 34560001)]
struct User {}

fn main() {}
