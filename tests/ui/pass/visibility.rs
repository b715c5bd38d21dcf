// Accessors take the field's visibility, session methods the struct's.
mod inner {
    use serde::{Deserialize, Serialize};
    use sessions::Session;

    #[derive(Session, Serialize, Deserialize, Default)]
    pub struct Cart {
        pub items: Vec<u32>,
        pub(crate) coupon: Option<String>,
        total: u64,
    }

    #[derive(Session, Serialize, Deserialize, Default)]
    pub(crate) struct Admin {
        pub level: u8,
    }

    pub fn total(cart: &CartSession) -> u64 {
        cart.total()
    }
}

use inner::{AdminSession, CartSession};

fn use_it(cart: &CartSession, admin: &AdminSession) {
    let _: Vec<u32> = cart.items();
    cart.set_coupon(None);
    let _ = inner::total(cart);
    let _: u8 = admin.level();
    let _load = AdminSession::load_parts;
}

// The private field's accessors are private to `inner`.
trait Probe {
    fn total(&self) -> &'static str {
        "not the accessor"
    }
}
impl Probe for CartSession {}

fn main() {
    let _ = use_it;
    let _: fn(&CartSession) -> &'static str = <CartSession as Probe>::total;
}
