//! What opening checks besides the seal: the times (expiry exact to the
//! second, issue times within the leeway, out-of-order times kept), the
//! length limit, and the order of the checks.

use std::time::Duration;

use super::super::seal::DEFAULT_LEEWAY;
use super::super::{Binding, Codec, MAX_SEALED_LEN, Times, UnixTime};
use super::{BINDING, Failure, LIFETIME, MODES, NOW, codec, open, open_value, seal, times};
use crate::codec::OpenError;
use crate::{Error, Key};

#[test]
fn expiry_is_exact_to_the_second_whatever_the_leeway() {
    let key = Key::generate();
    for mode in MODES {
        for leeway in [
            DEFAULT_LEEWAY,
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_mins(10),
        ] {
            let codec = codec(&key, mode).with_leeway(leeway);
            let sealed = seal(&codec, b"t");
            let deadline = times().expires_at;
            let last_second = UnixTime::from_secs(deadline.as_secs() - 1);
            assert!(codec.open_bytes(&BINDING, &sealed, last_second).is_ok());
            for now in [
                deadline,
                deadline + Duration::from_secs(1),
                UnixTime::from_secs(u64::MAX),
            ] {
                let result = codec.open_bytes(&BINDING, &sealed, now);
                assert!(
                    matches!(result, Err(OpenError::Expired)),
                    "{mode:?} {leeway:?} {now:?}: {result:?}"
                );
            }
        }
    }
}

#[test]
fn issue_times_in_the_future_are_tolerated_only_within_the_leeway() {
    let key = Key::generate();
    for mode in MODES {
        for leeway in [DEFAULT_LEEWAY, Duration::ZERO, Duration::from_mins(10)] {
            let codec = codec(&key, mode).with_leeway(leeway);
            let sealed = seal(&codec, b"t");
            let earliest = NOW.as_secs() - leeway.as_secs();
            let opened = codec.open_bytes(&BINDING, &sealed, UnixTime::from_secs(earliest));
            assert_eq!(opened.unwrap().times, times());
            for now in [earliest - 1, earliest - 3600, 0] {
                let result = codec.open_bytes(&BINDING, &sealed, UnixTime::from_secs(now));
                assert!(
                    matches!(result, Err(OpenError::IssuedInFuture)),
                    "{mode:?} {leeway:?} {now}: {result:?}"
                );
            }
        }
    }
}

#[test]
fn reissued_times_come_back_exactly() {
    let key = Key::generate();
    let first = Times::fresh(UnixTime::from_secs(1_700_000_000), Duration::from_mins(15));
    let later = first.reissued(NOW, Duration::from_hours(1));
    for mode in MODES {
        let codec = codec(&key, mode);
        let sealed = codec.seal_bytes(&BINDING, later, b"").unwrap();
        let opened = codec.open_bytes(&BINDING, &sealed, NOW).unwrap();
        assert_eq!(opened.times, later);
        assert_eq!(opened.times.created_at.as_secs(), 1_700_000_000);
    }
}

/// `Times` has public fields, so a caller can build one out of order (a
/// server whose clock is behind reissues a session another server created;
/// a session past its absolute timeout gets `expires_at < issued_at`). The
/// envelope must carry such times faithfully or refuse to seal them; it must
/// not hand back different "authenticated" times.
#[test]
fn out_of_order_times_are_never_silently_changed() {
    let key = Key::generate();
    let skewed = Times {
        created_at: UnixTime::from_secs(NOW.as_secs() + 30),
        issued_at: NOW,
        expires_at: NOW + LIFETIME,
    };
    let overdue = Times {
        created_at: UnixTime::from_secs(NOW.as_secs() - 100),
        issued_at: NOW,
        expires_at: UnixTime::from_secs(NOW.as_secs() - 50),
    };
    for mode in MODES {
        let codec = codec(&key, mode);
        for times in [skewed, overdue] {
            let Ok(sealed) = codec.seal_bytes(&BINDING, times, b"") else {
                continue; // refusing to seal is fine
            };
            let opened = codec.open_bytes(&BINDING, &sealed, NOW);
            match opened {
                Ok(opened) => assert_eq!(opened.times, times, "{mode:?}"),
                Err(OpenError::Expired) => assert!(times.expires_at < NOW),
                Err(e) => panic!("{mode:?} {times:?}: {e}"),
            }
        }
    }
}

#[test]
fn values_over_the_length_limit_are_too_long_before_any_decoding() {
    let key = Key::generate();
    for mode in MODES {
        let codec = codec(&key, mode);
        // Not base64 at all, yet the length is what is reported.
        for text in [
            "!".repeat(MAX_SEALED_LEN + 1),
            "A".repeat(MAX_SEALED_LEN + 1),
            "é".repeat(MAX_SEALED_LEN / 2 + 1),
        ] {
            let result = open(&codec, &text);
            assert!(
                matches!(result, Err(OpenError::TooLong { len, max: MAX_SEALED_LEN }) if len == text.len()),
                "{mode:?}: {result:?}"
            );
        }
        let huge = "A".repeat(10 * MAX_SEALED_LEN);
        assert!(matches!(
            open(&codec, &huge),
            Err(OpenError::TooLong { .. })
        ));
        // At exactly the limit the value is decoded: 3072 zero bytes, whose
        // version byte is 0.
        let at_limit = "A".repeat(MAX_SEALED_LEN);
        assert!(matches!(
            open(&codec, &at_limit),
            Err(OpenError::UnsupportedVersion(0))
        ));
        // A real value with one more character is too long.
        let max = codec.max_payload_len(times());
        let full = seal(&codec, &vec![1; max]);
        let padded = format!("{full}{}", "A".repeat(MAX_SEALED_LEN + 1 - full.len()));
        assert!(matches!(
            open(&codec, &padded),
            Err(OpenError::TooLong { .. })
        ));
    }
}

#[test]
fn checks_run_in_the_documented_order() {
    let (key, other) = (Key::generate(), Key::generate());
    for mode in MODES {
        let codec = codec(&key, mode);
        let sealed = seal(&codec, &[0xff, 0xff]); // not a CBOR document
        let expired = times().expires_at + Duration::from_hours(1);
        // Authentication before the times: another binding is unauthentic
        // even when it is also expired.
        let elsewhere = Binding::new("other", "cookie");
        let result = codec.open_bytes(&elsewhere, &sealed, expired);
        assert!(matches!(result, Err(OpenError::Unauthentic)), "{result:?}");
        // Key id before authentication.
        let result = Codec::new(other.clone())
            .with_mode(mode)
            .open_bytes(&elsewhere, &sealed, expired);
        assert!(matches!(result, Err(OpenError::UnknownKey)), "{result:?}");
        // Times before CBOR.
        let result = open_value::<ciborium::Value>(&codec, &BINDING, &sealed, expired);
        assert!(
            matches!(result, Err(Failure::Open(OpenError::Expired))),
            "{result:?}"
        );
        let result =
            open_value::<ciborium::Value>(&codec, &BINDING, &sealed, UnixTime::from_secs(0));
        let future = matches!(result, Err(Failure::Open(OpenError::IssuedInFuture)));
        assert!(future, "{result:?}");
        let result = open_value::<ciborium::Value>(&codec, &BINDING, &sealed, NOW);
        assert!(
            matches!(result, Err(Failure::Decode(Error::Decode(_)))),
            "{result:?}"
        );
    }
}
