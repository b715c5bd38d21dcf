// A generic struct whose parameters are named like the ones the expansion once declared
// (`load<B>`, `FromRequestParts<S>`): the fallback stub keeps them next to its own
// `__Sessions*` names, so the user still reads the one error.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct User<B, S> {
    body: B,
    state: S,
}

fn main() {}
