// The one case with several mistakes: all of them are reported in one compile, and
// nothing else.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "a b", max_age = 0, same_site = "none", secure = false)]
#[session(colour = "red")]
struct User {
    #[session(flash)]
    notices: String,
    save: bool,
    #[session(skip, skip)]
    cache: u8,
}

fn main() {}
