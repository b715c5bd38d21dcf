// Attribute values and fields written by a `macro_rules!` arrive in invisible groups.
use serde::{Deserialize, Serialize};
use sessions::{Session, SessionData};

macro_rules! session {
    ($name:ident, $cookie:expr, $age:expr, $($field:ident: $ty:ty),*) => {
        #[derive(Session, Serialize, Deserialize, Default)]
        #[session(name = $cookie, max_age = $age)]
        struct $name {
            $(#[session(flash)] $field: $ty,)*
        }
    };
}

session!(Generated, "generated", 60, notes: Vec<String>, last: Option<u8>);

fn main() {
    assert_eq!(Generated::CONFIG.name(), "generated");
    assert_eq!(Generated::CONFIG.max_age().as_secs(), 60);
    let _push = GeneratedSession::push_notes;
    let _set = GeneratedSession::set_last;
}
