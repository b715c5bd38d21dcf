//! The peer: the `cookie` crate's `PrivateJar` and `SignedJar` with
//! `serde_json` values, used the way axum-extra's cookie jars and
//! actix-session use them.
//!
//! Sealing goes through a jar (the crates' only way to encrypt or sign):
//! the jar is kept between calls so that its hash set costs nothing but a
//! replace. Opening uses `decrypt` / `verify` on a cookie, the cheapest
//! path they offer (no jar).

use std::cell::RefCell;

use cookie::{Cookie, CookieJar, Key};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Which jar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jar {
    /// `PrivateJar`: AES-256-GCM, standard base64 with padding.
    Private,
    /// `SignedJar`: HMAC-SHA256 in base64, then the JSON in the clear.
    Signed,
}

/// A jar and its key.
pub struct Peer {
    jar: RefCell<CookieJar>,
    key: Key,
    kind: Jar,
}

impl Peer {
    /// A peer of `kind` with a fresh key.
    pub fn new(kind: Jar) -> Self {
        Self {
            jar: RefCell::new(CookieJar::new()),
            key: Key::generate(),
            kind,
        }
    }

    /// The sealed cookie value, as the jar stores it.
    pub fn seal<T: Serialize>(&self, name: &'static str, value: &T) -> String {
        let json = serde_json::to_string(value).expect("JSON encodes");
        let cookie = Cookie::new(name, json);
        let mut jar = self.jar.borrow_mut();
        match self.kind {
            Jar::Private => jar.private_mut(&self.key).add(cookie),
            Jar::Signed => jar.signed_mut(&self.key).add(cookie),
        }
        jar.get(name)
            .expect("the jar holds the cookie just added")
            .value()
            .to_owned()
    }

    /// Opens a sealed value and decodes its JSON.
    pub fn open<T: DeserializeOwned>(&self, name: &'static str, sealed: &str) -> Option<T> {
        let cookie = Cookie::new(name, sealed.to_owned());
        let jar = self.jar.borrow();
        let opened = match self.kind {
            Jar::Private => jar.private(&self.key).decrypt(cookie),
            Jar::Signed => jar.signed(&self.key).verify(cookie),
        }?;
        serde_json::from_str(opened.value()).ok()
    }
}

/// The length of `name=value` as it goes on the wire: percent-encoded, as
/// axum-extra writes `Set-Cookie` (`Cookie::encoded`).
pub fn encoded_len(name: &str, value: &str) -> usize {
    Cookie::new(name.to_owned(), value.to_owned())
        .encoded()
        .to_string()
        .len()
}
