// Raw identifiers: the getter keeps `r#`, prefixed accessors drop it.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct r#Raw {
    r#type: String,
    r#match: u8,
    #[session(flash)]
    r#loop: Vec<u8>,
    #[session(flash)]
    r#async: Option<u8>,
    #[session(readonly)]
    r#fn: u8,
}

async fn use_it(raw: &RawSession) -> sessions::Result<()> {
    let _: String = raw.r#type();
    raw.set_type(String::new());
    let _: u8 = raw.r#match();
    raw.set_match(1);
    raw.push_loop(1);
    let _: Vec<u8> = raw.take_loop().await?;
    raw.set_async(1);
    let _: Option<u8> = raw.take_async().await?;
    let _: u8 = raw.r#fn();
    Ok(())
}

fn main() {
    let _ = use_it;
    assert_eq!(<Raw as sessions::SessionData>::CONFIG.name(), "raw");
}
