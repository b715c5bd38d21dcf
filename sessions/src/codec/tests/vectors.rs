//! Fixed vectors: the wire format, pinned byte for byte, both ways.
//!
//! The vectors live in `tests/vectors/` at the workspace root. Sealing them
//! again with a counter as the nonce source must give the same text (a
//! difference means the format changed: bump `VERSION`; regenerate with
//! `BLESS_VECTORS=1 cargo test -p sessions vectors`), and every vector must
//! open to its payload and times and expire when it should: a build that
//! cannot open yesterday's cookies fails.

use std::fmt::Write as _;
use std::time::Duration;

use super::super::seal::{DEFAULT_LEEWAY, NonceSource};
use super::super::{Binding, Codec, Mode, Times, UnixTime, encode_cbor};
use super::{key_id_of, open_value};
use crate::Key;
use crate::codec::OpenError;

const VECTORS: &str = include_str!("../../../../tests/vectors/envelope-v1.txt");
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
    let user = encode_cbor(&("ada", 42u64, ["admin", "ops"]), 0).unwrap();
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

const KEY_PREFIX: &str = "# key (text form):";

struct Vector {
    line: usize,
    mode: Mode,
    name: String,
    kind: String,
    times: Times,
    payload: Vec<u8>,
    sealed: String,
}

impl Vector {
    fn binding(&self) -> Binding<'_> {
        Binding::new(&self.name, &self.kind)
    }
}

fn hex(text: &str) -> Vec<u8> {
    if text == "-" {
        return Vec::new();
    }
    assert!(text.len().is_multiple_of(2), "odd hex length: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex payload"))
        .collect()
}

fn secs(text: &str) -> UnixTime {
    UnixTime::from_secs(text.parse().expect("seconds are a u64"))
}

fn parse_line(line: usize, text: &str) -> Vector {
    let fields: Vec<&str> = text.split(' ').collect();
    let [mode, name, kind, created, issued, expires, payload, sealed] = fields[..] else {
        panic!(
            "line {line}: expected 8 fields, got {}: {text}",
            fields.len()
        );
    };
    let mode = match mode {
        "encrypted" => Mode::Encrypted,
        "signed" => Mode::Signed,
        other => panic!("line {line}: unknown mode {other}"),
    };
    Vector {
        line,
        mode,
        name: name.to_owned(),
        kind: kind.to_owned(),
        times: Times {
            created_at: secs(created),
            issued_at: secs(issued),
            expires_at: secs(expires),
        },
        payload: hex(payload),
        sealed: sealed.to_owned(),
    }
}

/// The key of the header line and every vector.
fn load() -> (Key, Vec<Vector>) {
    let mut key = None;
    let mut vectors = Vec::new();
    for (index, line) in VECTORS.lines().enumerate() {
        if let Some(key_text) = line.strip_prefix(KEY_PREFIX) {
            key = Some(
                key_text
                    .trim()
                    .parse::<Key>()
                    .expect("the header key parses"),
            );
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            vectors.push(parse_line(index + 1, line));
        }
    }
    (key.expect("a `# key (text form):` header line"), vectors)
}

#[test]
fn the_vectors_file_covers_both_modes() {
    let (_, vectors) = load();
    assert!(vectors.len() >= 6, "only {} vectors", vectors.len());
    for mode in [Mode::Encrypted, Mode::Signed] {
        let of_mode: Vec<&Vector> = vectors.iter().filter(|v| v.mode == mode).collect();
        assert!(
            of_mode.iter().any(|v| v.payload.is_empty()),
            "{mode:?}: no empty payload"
        );
        assert!(
            of_mode.iter().any(|v| v.payload.len() >= 256),
            "{mode:?}: no long payload"
        );
    }
}

#[test]
fn every_vector_opens_to_its_payload_and_times() {
    let (key, vectors) = load();
    for vector in &vectors {
        let codec = Codec::new(key.clone()).with_mode(vector.mode);
        let opened = codec
            .open_bytes(&vector.binding(), &vector.sealed, vector.times.issued_at)
            .unwrap_or_else(|e| panic!("line {}: {e}", vector.line));
        assert_eq!(opened.value, vector.payload, "line {}", vector.line);
        assert_eq!(opened.times, vector.times, "line {}", vector.line);
        assert_eq!(key_id_of(&vector.sealed), key.id(), "line {}", vector.line);
        assert!(opened.by_primary, "line {}", vector.line);
    }
}

#[test]
fn every_vector_expires_exactly_at_its_expiry() {
    let (key, vectors) = load();
    for vector in &vectors {
        // `Codec::new` opens with the default leeway (pinned in `seal.rs`).
        let codec = Codec::new(key.clone()).with_mode(vector.mode);
        let deadline = vector.times.expires_at;
        let result = codec.open_bytes(&vector.binding(), &vector.sealed, deadline);
        assert!(
            matches!(result, Err(OpenError::Expired)),
            "line {}: {result:?}",
            vector.line
        );
        let last_second = UnixTime::from_secs(deadline.as_secs() - 1);
        let result = codec.open_bytes(&vector.binding(), &vector.sealed, last_second);
        assert!(result.is_ok(), "line {}: {result:?}", vector.line);
        let too_early =
            UnixTime::from_secs(vector.times.issued_at.as_secs() - DEFAULT_LEEWAY.as_secs() - 1);
        let result = codec.open_bytes(&vector.binding(), &vector.sealed, too_early);
        assert!(
            matches!(result, Err(OpenError::IssuedInFuture)),
            "line {}: {result:?}",
            vector.line
        );
    }
}

#[test]
fn no_vector_opens_under_another_mode_binding_or_key() {
    let (key, vectors) = load();
    let now = |v: &Vector| v.times.issued_at + Duration::from_secs(1);
    for vector in &vectors {
        let other_mode = match vector.mode {
            Mode::Encrypted => Mode::Signed,
            Mode::Signed => Mode::Encrypted,
        };
        let codec = Codec::new(key.clone()).with_mode(other_mode);
        let result = codec.open_bytes(&vector.binding(), &vector.sealed, now(vector));
        assert!(
            matches!(result, Err(OpenError::Unauthentic)),
            "line {}: {result:?}",
            vector.line
        );

        let codec = Codec::new(key.clone()).with_mode(vector.mode);
        for binding in [
            Binding::new(&vector.name, "other"),
            Binding::new("other", &vector.kind),
            Binding::new(&vector.kind, &vector.name),
        ] {
            let result = codec.open_bytes(&binding, &vector.sealed, now(vector));
            assert!(
                matches!(result, Err(OpenError::Unauthentic)),
                "line {}: {result:?}",
                vector.line
            );
        }

        let stranger = Codec::new(Key::generate()).with_mode(vector.mode);
        let result = stranger.open_bytes(&vector.binding(), &vector.sealed, now(vector));
        assert!(
            matches!(result, Err(OpenError::UnknownKey)),
            "line {}: {result:?}",
            vector.line
        );
    }
}

#[test]
fn the_cbor_vectors_open_as_typed_values() {
    let (key, vectors) = load();
    let mut seen = 0;
    for vector in vectors.iter().filter(|v| v.name == "user") {
        let codec = Codec::new(key.clone()).with_mode(vector.mode);
        let opened: (String, u64, Vec<String>) = open_value(
            &codec,
            &vector.binding(),
            &vector.sealed,
            vector.times.issued_at,
        )
        .unwrap_or_else(|e| panic!("line {}: {e}", vector.line));
        assert_eq!(
            opened,
            (
                "ada".to_owned(),
                42,
                vec!["admin".to_owned(), "ops".to_owned()]
            )
        );
        seen += 1;
    }
    assert_eq!(seen, 2, "one CBOR vector per mode");
}

#[test]
fn the_vector_key_is_the_header_key() {
    let (key, _) = load();
    assert_eq!(key.to_text(), KEY_TEXT);
    // The key id is on the wire right after the version byte: the first
    // five bytes of every vector are the same.
    let (_, vectors) = load();
    for vector in &vectors {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&vector.sealed)
            .unwrap();
        assert_eq!(raw[0], 1, "line {}: version", vector.line);
        assert_eq!(
            &raw[1..5],
            key.id().as_bytes(),
            "line {}: key id",
            vector.line
        );
    }
}
