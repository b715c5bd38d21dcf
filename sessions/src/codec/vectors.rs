//! Fixed vectors: the wire format, pinned byte for byte.
//!
//! The vectors live in `tests/vectors/` at the workspace root, where the
//! integration tests open them through the public API. Here they are
//! re-sealed with a counter as the nonce source, which exists only in this
//! test build. A difference means the format changed: bump `VERSION`.
//! Regenerate with `BLESS_VECTORS=1 cargo test -p sessions vectors`.

use std::fmt::Write as _;

use super::seal::NonceSource;
use super::{Binding, Codec, Mode, Times, UnixTime};
use crate::Key;

const VECTORS: &str = include_str!("../../../tests/vectors/envelope-v1.txt");
const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/envelope-v1.txt"
);

/// The key every vector uses, in its text form.
const KEY_TEXT: &str = "c2Vzc2lvbnMgdGVzdCB2ZWN0b3Iga2V5IDAwMDAwMDA";

/// Nonce n is the counter n, big endian, in the last eight bytes.
struct CounterNonces(u64);

impl NonceSource for CounterNonces {
    fn fill(&mut self, nonce: &mut [u8; 12]) {
        self.0 += 1;
        nonce[4..].copy_from_slice(&self.0.to_be_bytes());
    }
}

fn cases() -> Vec<(Mode, &'static str, &'static str, Times, Vec<u8>)> {
    let times = Times {
        created_at: UnixTime::from_secs(1_800_000_000),
        issued_at: UnixTime::from_secs(1_800_000_100),
        expires_at: UnixTime::from_secs(1_800_604_900),
    };
    let user = super::cbor::encode(&("ada", 42u64, ["admin", "ops"]), 0).unwrap();
    let empty = Vec::new();
    let bytes: Vec<u8> = (0..=255).collect();
    let mut out = Vec::new();
    for mode in [Mode::Encrypted, Mode::Signed] {
        out.push((mode, "user", "cookie", times, user.clone()));
        out.push((mode, "id", "files", times, empty.clone()));
        out.push((mode, "blob", "cookie", times, bytes.clone()));
        // Created "after" issued: a reissue by a server with a slow clock.
        let skewed = Times {
            created_at: UnixTime::from_secs(1_800_000_200),
            ..times
        };
        out.push((mode, "skew", "cookie", skewed, user.clone()));
    }
    out
}

fn render() -> String {
    let key: Key = KEY_TEXT.parse().unwrap();
    let mut nonces = CounterNonces(0);
    let mut text = String::from(
        "# sessions envelope v1. One vector a line:\n\
         # mode name kind created issued expires payload-hex sealed\n\
         # key (text form): c2Vzc2lvbnMgdGVzdCB2ZWN0b3Iga2V5IDAwMDAwMDA\n",
    );
    for (mode, name, kind, times, payload) in cases() {
        let codec = Codec::new(key.clone()).with_mode(mode);
        let sealed = codec
            .seal_bytes_with(&Binding::new(name, kind), times, &mut nonces, &payload)
            .unwrap();
        let hex = payload.iter().fold(String::new(), |mut hex, b| {
            write!(hex, "{b:02x}").unwrap();
            hex
        });
        let mode = if mode == Mode::Encrypted {
            "encrypted"
        } else {
            "signed"
        };
        writeln!(
            text,
            "{mode} {name} {kind} {} {} {} {} {sealed}",
            times.created_at.as_secs(),
            times.issued_at.as_secs(),
            times.expires_at.as_secs(),
            if hex.is_empty() { "-" } else { &hex },
        )
        .unwrap();
    }
    text
}

#[test]
fn sealing_reproduces_the_fixed_vectors() {
    let rendered = render();
    if std::env::var_os("BLESS_VECTORS").is_some() {
        std::fs::write(VECTORS_PATH, &rendered).unwrap();
        return;
    }
    assert_eq!(
        rendered, VECTORS,
        "the envelope format changed: bump VERSION and bless"
    );
}
