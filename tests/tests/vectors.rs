//! The fixed envelope vectors open through the public API, with the payload
//! and the times they record, and expire when they should.
//!
//! Sealing reproduces the same bytes in the crate's own unit test (it needs a
//! fixed nonce source that only exists there); here the other direction is
//! pinned: a build that cannot open yesterday's cookies fails.

use std::time::Duration;

use base64::Engine as _;
use sessions::codec::{Binding, Codec, DEFAULT_LEEWAY, Mode, Times, UnixTime};
use sessions::{Error, Key};

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/envelope-v1.txt");
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
    let text = std::fs::read_to_string(VECTORS_PATH).expect("the vectors file is readable");
    let mut key = None;
    let mut vectors = Vec::new();
    for (index, line) in text.lines().enumerate() {
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
        assert_eq!(opened.key_id, key.id(), "line {}", vector.line);
        assert!(opened.by_primary, "line {}", vector.line);
    }
}

#[test]
fn every_vector_expires_exactly_at_its_expiry() {
    let (key, vectors) = load();
    for vector in &vectors {
        let codec = Codec::new(key.clone()).with_mode(vector.mode);
        assert_eq!(codec.leeway(), DEFAULT_LEEWAY);
        let deadline = vector.times.expires_at;
        let result = codec.open_bytes(&vector.binding(), &vector.sealed, deadline);
        assert!(
            matches!(result, Err(Error::Expired)),
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
            matches!(result, Err(Error::IssuedInFuture)),
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
            matches!(result, Err(Error::Unauthentic)),
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
                matches!(result, Err(Error::Unauthentic)),
                "line {}: {result:?}",
                vector.line
            );
        }

        let stranger = Codec::new(Key::generate()).with_mode(vector.mode);
        let result = stranger.open_bytes(&vector.binding(), &vector.sealed, now(vector));
        assert!(
            matches!(result, Err(Error::UnknownKey)),
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
        let opened = codec
            .open::<(String, u64, Vec<String>)>(
                &vector.binding(),
                &vector.sealed,
                vector.times.issued_at,
            )
            .unwrap_or_else(|e| panic!("line {}: {e}", vector.line));
        assert_eq!(
            opened.value,
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
    assert_eq!(key.to_text(), "c2Vzc2lvbnMgdGVzdCB2ZWN0b3Iga2V5IDAwMDAwMDA");
    // The key id is on the wire right after the version byte: the first
    // five bytes of every vector are the same.
    let (_, vectors) = load();
    for vector in &vectors {
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
