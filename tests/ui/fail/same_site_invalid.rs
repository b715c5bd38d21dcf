use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(same_site = "Lax")]
struct User {}

fn main() {}
