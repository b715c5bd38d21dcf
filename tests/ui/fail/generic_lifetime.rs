use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User<'a> {
    name: &'a str,
}

fn main() {}
