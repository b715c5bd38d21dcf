use serde::Deserialize;
use sessions::Session;

// The compiler reports the missing supertrait once, on the struct: the accessors reach
// the handle through helpers bounded by `SessionData` alone.
#[derive(Session, Deserialize, Default)]
struct User {
    id: u64,
    #[session(flash)]
    notices: Vec<String>,
}

fn main() {}
