use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(on_conflict = "merge")]
struct Cart {
    items: Vec<u32>,
}

fn main() {}
