use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(partitioned(true))]
struct User {}

fn main() {}
