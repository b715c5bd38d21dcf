use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_age = 18446744073709551616)]
struct User {}

fn main() {}
