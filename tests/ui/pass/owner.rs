// `#[session(owner)]` on the types that have a stable text form: integers, strings, an
// `Option` of one (`None`: nobody owns the session), and a user id type that implements
// `SessionOwner`. It keeps the field's accessors, goes with `readonly`, and leaves the
// default (no owner) when its field is cfg'd out. `max_per_owner` caps an owner's sessions.
#![deny(warnings)]

use serde::{Deserialize, Serialize};
use sessions::{Session, SessionData, SessionOwner};

#[derive(Session, Serialize, Deserialize, Default)]
#[session(max_per_owner = 3)]
struct ById {
    #[session(owner)]
    user_id: u64,
}

// The cap is a constant, checked positive at compile time.
const CAP: Option<u32> = match ById::CONFIG.max_per_owner() {
    Some(max) => Some(max.get()),
    None => None,
};

#[derive(Session, Serialize, Deserialize, Default)]
struct ByName {
    theme: String,
    #[session(owner, readonly)]
    account: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct AccountId([u8; 2]);

impl SessionOwner for AccountId {
    fn owner_text(&self) -> Option<String> {
        Some(format!("{:02x}{:02x}", self.0[0], self.0[1]))
    }
}

#[derive(Session, Serialize, Deserialize, Default)]
struct ByAccount {
    #[session(readonly)]
    #[session(owner)]
    r#ref: AccountId,
}

#[derive(Session, Serialize, Deserialize, Default)]
struct CfgdOut {
    #[cfg(any())]
    #[session(owner)]
    user_id: u64,
}

fn main() {
    let _set = ByIdSession::set_user_id;
    let _get = ByNameSession::account;
    let _get = ByAccountSession::r#ref;
    assert_eq!(ById { user_id: 7 }.owner().as_deref(), Some("7"));
    assert_eq!(ByName::default().owner(), None);
    let by_name = ByName {
        theme: String::new(),
        account: Some("ada".to_owned()),
    };
    assert_eq!(by_name.owner().as_deref(), Some("ada"));
    let by_account = ByAccount {
        r#ref: AccountId([1, 255]),
    };
    assert_eq!(by_account.owner().as_deref(), Some("01ff"));
    assert_eq!(CfgdOut::default().owner(), None);
    assert_eq!(CAP, Some(3));
    assert_eq!(ByName::CONFIG.max_per_owner(), None);
}
