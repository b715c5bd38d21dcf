use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Serialize, Deserialize, Default)]
struct Token;

// The getter clones: the compiler's error points at the field's type.
#[derive(Session, Serialize, Deserialize, Default)]
struct User {
    token: Token,
}

fn main() {}
