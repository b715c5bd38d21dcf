//! The sessions the benchmarks seal.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sessions::Session;

/// The lifetime of every benchmark session (`max_age` of [`Profile`]).
pub const WEEK: Duration = Duration::from_hours(7 * 24);

/// The cookie name every benchmark seals under.
pub const COOKIE_NAME: &str = "user";

/// The representative session of issue 6: a user id, a 13-character
/// username, three roles, a 32-byte token, a theme and a timestamp.
#[derive(Session, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[session(name = "user", max_age = 604_800)]
pub struct Profile {
    /// The user's id.
    pub user_id: u64,
    /// 13 characters.
    pub username: String,
    /// Three role names.
    pub roles: Vec<String>,
    /// A 32-byte token (CSRF, say).
    pub token: Token,
    /// The chosen theme.
    pub theme: String,
    /// Seconds since the epoch.
    pub updated_at: i64,
}

impl Profile {
    /// The representative session.
    pub fn representative() -> Self {
        let profile = Self {
            user_id: 4_211_337,
            username: "grace.hopper1".to_owned(),
            roles: vec![
                "admin".to_owned(),
                "editor".to_owned(),
                "billing".to_owned(),
            ],
            token: Token(std::array::from_fn(|i| {
                u8::try_from(i * 37 % 251).expect("below 251")
            })),
            theme: "dark".to_owned(),
            updated_at: 1_754_000_000,
        };
        assert_eq!(profile.username.len(), 13, "the username has 13 characters");
        profile
    }
}

/// 32 random bytes, serialized as each format does best, like `uuid` does:
/// a byte string in binary formats (CBOR), a base64url string in
/// human-readable ones (JSON, where bytes would be an array of numbers).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Token(pub [u8; 32]);

impl Serialize for Token {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&URL_SAFE_NO_PAD.encode(self.0))
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Token {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TokenVisitor;

        impl Visitor<'_> for TokenVisitor {
            type Value = Token;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("32 bytes, or 43 base64url characters")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Token, E> {
                bytes.try_into().map(Token).map_err(E::custom)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Token, E> {
                let mut out = [0u8; 32];
                match URL_SAFE_NO_PAD.decode_slice(text, &mut out) {
                    Ok(32) => Ok(Token(out)),
                    _ => Err(E::custom("not a 32-byte base64url token")),
                }
            }
        }

        if deserializer.is_human_readable() {
            deserializer.deserialize_str(TokenVisitor)
        } else {
            deserializer.deserialize_bytes(TokenVisitor)
        }
    }
}

/// A session of a chosen size: a list of short strings (a cart, recent
/// pages), so that decoding does per-item work as real sessions do.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Blob {
    /// Items of at most 23 characters.
    pub items: Vec<String>,
}

/// Blobs are sealed as the session `user`, like [`Profile`].
impl sessions::SessionData for Blob {
    const CONFIG: sessions::SessionConfig =
        sessions::SessionConfig::new(COOKIE_NAME).with_max_age(WEEK);
}

impl Blob {
    /// A blob whose CBOR encoding is exactly `len` bytes (at least 8); its
    /// JSON is within a few percent of that.
    pub fn of_cbor_len(len: usize) -> Self {
        let mut blob = Self { items: Vec::new() };
        let mut seed = 0x2545_f491_u32;
        let mut next_char = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            char::from(alphabet[seed as usize % alphabet.len()])
        };
        // Full items while they fit, then one item that makes up the rest;
        // an array header that grows takes a byte from that last item.
        while cbor_len(&blob) + 24 <= len {
            blob.items.push((0..23).map(|_| next_char()).collect());
        }
        let rest = len - cbor_len(&blob);
        if rest > 0 {
            blob.items
                .push((0..rest - 1).map(|_| next_char()).collect());
        }
        while cbor_len(&blob) > len {
            let last = blob.items.last_mut().expect("an item was pushed");
            last.pop().expect("the last item has a character to spare");
        }
        assert_eq!(cbor_len(&blob), len, "blob of exactly {len} CBOR bytes");
        blob
    }
}

/// The length of `value` in CBOR.
pub fn cbor_len<T: Serialize>(value: &T) -> usize {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("CBOR encodes into a vector");
    out.len()
}

/// The session as the registry stores it: the persistence flag, then the
/// data (a two-element CBOR array).
pub fn stored_payload<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(&(true, value), &mut out).expect("CBOR encodes into a vector");
    out
}

/// A request with the registry of `sessions` attached, carrying the session
/// cookie `value` when there is one: what a handler gets.
///
/// # Panics
///
/// Never for a base64url `value`, the only kind a store writes.
pub fn request(sessions: &sessions::Sessions, value: Option<&str>) -> http::Request<()> {
    let mut builder = http::Request::builder();
    if let Some(value) = value {
        builder = builder.header(http::header::COOKIE, format!("{COOKIE_NAME}={value}"));
    }
    let mut req = builder
        .body(())
        .expect("a base64url cookie is a valid header");
    sessions.attach(&mut req);
    req
}

/// The value of the session cookie a response sets.
///
/// # Panics
///
/// When the response sets no session cookie.
pub fn cookie_value<B>(res: &http::Response<B>) -> String {
    let line = res.headers()[http::header::SET_COOKIE]
        .to_str()
        .expect("Set-Cookie is ASCII");
    let pair = line.split(';').next().expect("split yields one item");
    pair.strip_prefix(COOKIE_NAME)
        .and_then(|rest| rest.strip_prefix('='))
        .expect("the session cookie")
        .to_owned()
}
