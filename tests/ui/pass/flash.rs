// Flash fields on `Vec<U>` and `Option<U>`, also spelled with full paths.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
struct Messages {
    #[session(flash)]
    notices: Vec<String>,
    #[session(flash)]
    error: Option<String>,
    #[session(flash)]
    codes: ::std::vec::Vec<u16>,
    #[session(flash)]
    redirect: core::option::Option<(String, u16)>,
}

async fn use_it(m: &MessagesSession) -> sessions::Result<()> {
    m.push_notices("saved".to_owned());
    m.set_error("failed".to_owned());
    m.push_codes(404);
    m.set_redirect(("/".to_owned(), 303));
    let notices: Vec<String> = m.take_notices().await?;
    let error: Option<String> = m.take_error().await?;
    let codes: Vec<u16> = m.take_codes().await?;
    let redirect: Option<(String, u16)> = m.take_redirect().await?;
    drop((notices, error, codes, redirect));
    Ok(())
}

fn main() {
    let _ = use_it;
}
