// A hand-written `SessionData` whose `const` configuration breaks a rule
// fails to compile where the session is loaded.
use serde::{Deserialize, Serialize};
use sessions::{Handle, SessionConfig, SessionData};

#[derive(Default, Serialize, Deserialize)]
struct Cart {
    items: Vec<u32>,
}

impl SessionData for Cart {
    const CONFIG: SessionConfig = SessionConfig::new("cart").with_path("/; Domain=evil.example");
}

async fn handler(req: http::Request<()>) -> sessions::Result<()> {
    let cart = Handle::<Cart>::load(&req).await?;
    cart.update(|c| c.items.push(1));
    Ok(())
}

fn main() {
    let _ = handler;
}
