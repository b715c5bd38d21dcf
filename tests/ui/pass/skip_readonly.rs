// `skip` generates nothing, `readonly` only the getter; a readonly field may even be
// named like a setter of the handle, since it has no setter of its own.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct Account {
    #[session(readonly)]
    user_id: u64,
    #[session(skip)]
    cache: Vec<u8>,
    #[session(readonly)]
    persistent: bool,
}

// Would not compile if `set_user_id`, `cache` or `set_cache` existed.
trait Probe {
    fn set_user_id(&self, _: u64) {}
    fn cache(&self) {}
    fn set_cache(&self, _: Vec<u8>) {}
}
impl Probe for AccountSession {}

fn use_it(account: &AccountSession) {
    let _: u64 = account.user_id();
    let _: bool = account.persistent();
    account.set_user_id(1); // the trait's, not an accessor
    account.cache();
    account.set_cache(Vec::new());
    account.update(|a| a.cache.push(1)); // skip: reach it through the handle
}

fn main() {
    let _ = use_it;
}
