use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(same_site = "none", secure = false)]
struct User {}

fn main() {}
