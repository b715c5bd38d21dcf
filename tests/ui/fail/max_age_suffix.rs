use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_age = 604800u32)]
struct User {}

fn main() {}
