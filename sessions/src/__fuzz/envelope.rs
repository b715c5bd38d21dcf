//! `open_envelope`: opening sealed values, arbitrary and tampered.

use std::sync::OnceLock;
use std::time::Duration;

use super::input::Input;
use crate::codec::{Binding, Codec, MAX_RAW_LEN, Mode, NonceSource, Times, UnixTime};
use crate::error::Error;
use crate::key::{Key, KeyRing};

/// What the fuzzed values are sealed for and opened under.
const BINDING: Binding<'static> = Binding::new("fuzz", "cookie");

/// Another cookie name: nothing sealed for [`BINDING`] opens under it.
const OTHER_BINDING: Binding<'static> = Binding::new("fuzz2", "cookie");

/// The fixed clock of every run, so that a crash replays.
const NOW: UnixTime = UnixTime::from_secs(1_800_000_000);

/// Opens `data` as a cookie value in both modes, then seals a value chosen
/// by `data`, tampers with it as `data` says and opens it again.
///
/// Properties: opening never panics, arbitrary input is one of the typed
/// opening errors, and a tampered value either fails or opens to exactly
/// the payload and times it was sealed with (never under another binding
/// or mode). An untampered, live value always opens.
pub fn open_envelope(data: &[u8]) {
    open_arbitrary(data);
    open_tampered(data);
}

/// One codec per mode, over a ring of a primary and an old key. Made once:
/// deriving keys costs more than a run.
fn codecs() -> &'static [Codec; 2] {
    static CODECS: OnceLock<[Codec; 2]> = OnceLock::new();
    CODECS.get_or_init(|| {
        let key = |secret: &[u8]| {
            Key::derive_from(secret).expect("the fuzzing secrets are long and varied")
        };
        let ring = KeyRing::new(key(b"fuzzing: the primary key, public"))
            .with_old(key(b"fuzzing: an old key, just as public"));
        [Mode::Encrypted, Mode::Signed].map(|mode| Codec::new(ring.clone()).with_mode(mode))
    })
}

fn open_arbitrary(data: &[u8]) {
    let sealed = String::from_utf8_lossy(data);
    for codec in codecs() {
        // A refusal is a typed `OpenError` by construction; only a value
        // sealed with the fuzzing keys (a corpus seed) opens.
        if let Ok(opened) = codec.open_bytes(&BINDING, &sealed, NOW) {
            assert!(opened.value.len() <= MAX_RAW_LEN);
        }
    }
}

/// Layout: flags (bit 0: signed, bit 1: open under another cookie name,
/// bit 2: open with the other mode), the age of the value (u16 seconds),
/// its lifetime (u16 seconds), the payload length (u16), the payload, then
/// edits of four bytes each (see [`edit`]).
fn open_tampered(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let seal_mode = usize::from(flags & 1);
    let issued_at = UnixTime::from_secs(NOW.as_secs() - u64::from(input.u16()));
    let times = Times {
        created_at: issued_at,
        issued_at,
        expires_at: issued_at + Duration::from_secs(u64::from(input.u16())),
    };
    let payload_len = usize::from(input.u16());
    let payload = input.take(payload_len);
    let sealed =
        match codecs()[seal_mode].seal_bytes_with(&BINDING, times, &mut FixedNonce, payload) {
            Ok(sealed) => sealed,
            Err(Error::PayloadTooLarge { .. }) => return,
            Err(error) => panic!("sealing failed: {error:?}"),
        };
    let mut tampered = sealed.clone().into_bytes();
    for chunk in input.rest().chunks(4) {
        edit(&mut tampered, chunk);
    }
    let tampered = String::from_utf8_lossy(&tampered);

    let binding = if flags & 2 == 0 {
        BINDING
    } else {
        OTHER_BINDING
    };
    let open_mode = seal_mode ^ usize::from(flags >> 2 & 1);
    let untouched = binding == BINDING && open_mode == seal_mode && tampered == sealed;
    match codecs()[open_mode].open_bytes(&binding, &tampered, NOW) {
        Ok(opened) => {
            assert!(binding == BINDING, "opened under another cookie name");
            assert!(open_mode == seal_mode, "opened in the other mode");
            assert_eq!(opened.value, payload, "a tampered value opened");
            assert_eq!(opened.times, times, "tampered times opened");
            assert!(opened.by_primary, "sealed by the primary key");
        }
        Err(error) => assert!(
            !(untouched && times.expires_at > NOW),
            "an untouched live value failed to open: {error:?}"
        ),
    }
}

/// Applies one edit `[operation, position (u16), byte]` to the sealed
/// text: overwrite, insert or remove the byte at the position (modulo the
/// length), or cut the text there.
fn edit(text: &mut Vec<u8>, chunk: &[u8]) {
    let mut input = Input::new(chunk);
    let operation = input.byte() % 4;
    let at = usize::from(input.u16()) % (text.len() + 1);
    let byte = input.byte();
    match operation {
        0 if at < text.len() => text[at] = byte,
        1 => text.insert(at, byte),
        2 if at < text.len() => {
            text.remove(at);
        }
        3 => text.truncate(at),
        _ => {}
    }
}

/// An all-zero nonce: a run must be a function of its input alone, so that
/// libFuzzer's coverage feedback and a crash's replay hold (nonce reuse
/// does not matter for a key nobody keeps secret).
struct FixedNonce;

impl NonceSource for FixedNonce {
    fn fill(&mut self, nonce: &mut [u8; 12]) {
        nonce.fill(0);
    }
}
