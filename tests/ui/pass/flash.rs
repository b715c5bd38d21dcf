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

fn use_it(m: &MessagesSession) {
    m.push_notices("saved".to_owned());
    m.set_error("failed".to_owned());
    m.push_codes(404);
    m.set_redirect(("/".to_owned(), 303));
    let notices: Vec<String> = m.take_notices();
    let error: Option<String> = m.take_error();
    let codes: Vec<u16> = m.take_codes();
    let redirect: Option<(String, u16)> = m.take_redirect();
    drop((notices, error, codes, redirect));
}

fn main() {
    let _ = use_it;
}
