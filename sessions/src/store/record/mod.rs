//! [`Record`] and its one byte format, shared by every backend that keeps
//! bytes (files, Redis, a blob column).
//!
//! ```text
//! offset  size  field
//!      0     4  magic "SESS"
//!      4     1  format version (4)
//!      5     3  reserved, zero
//!      8    32  SHA-256 of "sessions record id" 0x00 and the id's 32 bytes
//!     40     8  the record's version, big endian
//!     48    32  the owner (an OwnerId digest), or 32 zero bytes for none
//!     80     8  created_at, seconds since the epoch, big endian
//!     88     8  issued_at
//!     96     8  expires_at
//!    104     8  payload length in bytes
//!    112     -  payload
//! ```
//!
//! The id digest binds a record to the id it was written under: a record
//! copied or moved under another id fails to decode instead of showing
//! one user's session to another. It is a digest, not the id, so that a
//! backend may key its records by a hash of the id without the record
//! giving the id back; it is not a MAC (whoever can write records can
//! forge sessions anyway).
//!
//! The record's version is what [`Backend::update`] compares and sets:
//! every save of a session writes the next one. It sits right after the
//! id digest, so that a backend which compares it inside the store (a
//! Redis script) reads the first 48 bytes and finds magic, format, id and
//! version in them.
//!
//! The owner is what a backend indexes the record under
//! ([`Backend::owned`]); carried in the record, it is also what the store
//! checks an index entry against, so a stale entry never lists a session
//! that belongs to someone else.
//!
//! [`Backend::owned`]: crate::store::Backend::owned
//!
//! Older formats are not read (the crate is before 1.0): format 1 was
//! `FileStore`'s before the id binding, format 2 had no version, format 3
//! no owner. Their records fail to decode as an unsupported format
//! version, and their sessions start again.
//!
//! [`Backend::update`]: crate::store::Backend::update
//!
//! Decoding checks, in order: the format version of bytes that start with
//! the magic (an older format may be shorter than this header), the length
//! of the header, the magic, the version, the reserved bytes, the id, the
//! payload length against the caller's limit, then the total length. Any failure is a typed error
//! ([`Error::Decode`], [`Error::RecordTooLarge`]), never a panic.

use std::fmt;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::codec::{Times, UnixTime};
use crate::error::{Error, Result};
use crate::id::{ID_LEN, SessionId};
use crate::store::owner::{OWNER_LEN, OwnerId};

/// The first bytes of every encoded record.
const MAGIC: [u8; 4] = *b"SESS";
/// The format this build writes and reads.
const FORMAT: u8 = 4;
/// Domain separation of the id digest from any other use of SHA-256.
const ID_DIGEST_CONTEXT: &[u8] = b"sessions record id\0";
/// Length of the id digest.
const DIGEST_LEN: usize = 32;
/// Where the id digest starts.
const DIGEST_AT: usize = 8;
/// Where the record's version starts.
pub(super) const VERSION_AT: usize = DIGEST_AT + DIGEST_LEN;
/// Where the owner digest starts.
pub(super) const OWNER_AT: usize = VERSION_AT + 8;
/// Where the three times start.
const TIMES_AT: usize = OWNER_AT + OWNER_LEN;
/// Where the payload length starts.
const LEN_AT: usize = TIMES_AT + 3 * 8;
/// Bytes before the payload.
pub(super) const HEADER_LEN: usize = LEN_AT + 8;
const _: () = assert!(
    HEADER_LEN == MAGIC.len() + 1 + 3 + DIGEST_LEN + OWNER_LEN + 5 * 8,
    "magic, format, reserved, digest, version, owner, three times and a length"
);
const _: () = assert!(
    VERSION_AT == 40 && OWNER_AT == 48 && HEADER_LEN == 112,
    "the layout of the module docs, which backends may rely on"
);
const _: () = assert!(DIGEST_LEN == 32 && ID_LEN == 32, "SHA-256 of a 256-bit id");

/// A session as a backend keeps it: the encoded session, its times, and
/// its version.
///
/// Backends that keep bytes store [`encode`](Self::encode)'s output and
/// read it back with [`decode`](Self::decode), which binds the record to
/// its id and applies the store's size limit.
///
/// ```
/// use std::time::Duration;
/// use sessions::store::{Record, Times, UnixTime};
///
/// let now = UnixTime::from_secs(100);
/// let record = Record::new(vec![1, 2], Times::fresh(now, Duration::from_secs(10)));
/// assert!(!record.is_expired(now));
/// assert!(record.is_expired(UnixTime::from_secs(110)));
/// assert_eq!(record.version, 1);
/// ```
///
/// `Debug` shows the payload's length, the times and the version, never
/// the payload:
///
/// ```
/// # use sessions::store::{Record, Times, UnixTime};
/// # let times = Times::fresh(UnixTime::from_secs(100), std::time::Duration::from_secs(10));
/// let record = Record::new(b"secret".to_vec(), times);
/// let debug = format!("{record:?}");
/// assert!(debug.starts_with("Record { payload_len: 6, times: Times {"));
/// assert!(debug.ends_with(", version: 1, owned: false }"));
/// assert!(!debug.contains(&format!("{:?}", b"secret"[0])));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// The encoded session, opaque to the backend.
    pub payload: Vec<u8>,
    /// Created, last saved, and when it expires.
    pub times: Times,
    /// Which write of the session this is: 1 for the first, one more for
    /// each save after it. [`Backend::update`] writes a record only over
    /// the version its caller read, so two saves of one version cannot
    /// both land.
    ///
    /// [`Backend::update`]: crate::store::Backend::update
    pub version: u64,
    /// Who owns the session, if anyone: what a backend indexes it under
    /// for [`Backend::owned`](crate::store::Backend::owned).
    pub owner: Option<OwnerId>,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("payload_len", &self.payload.len())
            .field("times", &self.times)
            .field("version", &self.version)
            .field("owned", &self.owner.is_some())
            .finish()
    }
}

impl Record {
    /// A record of `payload` with `times`, at version 1: the first
    /// version of a session.
    ///
    /// ```
    /// # use sessions::store::{Record, Times, UnixTime};
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::ZERO);
    /// let record = Record::new(vec![7], t);
    /// assert_eq!((record.payload, record.version), (vec![7], 1));
    /// ```
    #[must_use]
    pub fn new(payload: Vec<u8>, times: Times) -> Self {
        Self {
            payload,
            times,
            version: 1,
            owner: None,
        }
    }

    /// The record at `version` instead.
    ///
    /// ```
    /// # use sessions::store::{Record, Times, UnixTime};
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::ZERO);
    /// assert_eq!(Record::new(vec![7], t).with_version(8).version, 8);
    /// ```
    #[must_use]
    pub fn with_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// The record owned by `owner` instead.
    ///
    /// ```
    /// # use sessions::store::{OwnerId, Record, Times, UnixTime};
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::ZERO);
    /// let ada = OwnerId::new("user", "ada");
    /// assert_eq!(Record::new(vec![7], t).with_owner(Some(ada)).owner, Some(ada));
    /// ```
    #[must_use]
    pub fn with_owner(mut self, owner: Option<OwnerId>) -> Self {
        self.owner = owner;
        self
    }

    /// Whether the record's lifetime is over at `now`.
    ///
    /// ```
    /// # use sessions::store::{Record, Times, UnixTime};
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(1));
    /// assert!(Record::new(vec![], t).is_expired(UnixTime::from_secs(2)));
    /// ```
    #[must_use]
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now >= self.times.expires_at
    }

    /// The record as bytes, bound to `id`: the format in this module's
    /// docs.
    ///
    /// ```
    /// use sessions::store::{Record, SessionId, Times, UnixTime};
    ///
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(9));
    /// let (record, id) = (Record::new(vec![1, 2, 3], t).with_version(9), SessionId::generate());
    /// let bytes = record.encode(&id);
    /// assert_eq!(&bytes[..5], b"SESS\x04");
    /// assert_eq!(bytes[40..48], 9u64.to_be_bytes());
    /// assert_eq!(Record::decode(&bytes, &id, 1024)?, record);
    /// # Ok::<(), sessions::Error>(())
    /// ```
    #[must_use]
    pub fn encode(&self, id: &SessionId) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + self.payload.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.push(FORMAT);
        bytes.extend_from_slice(&[0; 3]);
        bytes.extend_from_slice(&id_digest(id));
        bytes.extend_from_slice(&self.version.to_be_bytes());
        let owner = self.owner.map_or([0; OWNER_LEN], |owner| *owner.as_bytes());
        bytes.extend_from_slice(&owner);
        let times = self.times;
        for time in [times.created_at, times.issued_at, times.expires_at] {
            bytes.extend_from_slice(&time.as_secs().to_be_bytes());
        }
        bytes.extend_from_slice(&(self.payload.len() as u64).to_be_bytes());
        debug_assert_eq!(bytes.len(), HEADER_LEN);
        bytes.extend_from_slice(&self.payload);
        bytes
    }

    /// Reads [`encode`](Self::encode)'s bytes back, if they were written
    /// under `id` and their payload is at most `max_len` bytes.
    ///
    /// A record of another id, another format or a damaged one is
    /// [`Error::Decode`]; one whose payload passes `max_len` is
    /// [`Error::RecordTooLarge`], judged from the header alone, so `bytes`
    /// may be a prefix of [`read_limit`](Self::read_limit) bytes of a
    /// longer value.
    ///
    /// ```
    /// use sessions::{Error, store::{Record, SessionId, Times, UnixTime}};
    ///
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(9));
    /// let (alice, bob) = (SessionId::generate(), SessionId::generate());
    /// let bytes = Record::new(vec![0; 100], t).encode(&alice);
    ///
    /// assert!(matches!(Record::decode(&bytes, &bob, 1024), Err(Error::Decode(_))));
    /// let too_large = Record::decode(&bytes, &alice, 99);
    /// assert!(matches!(too_large, Err(Error::RecordTooLarge { len: 100, max: 99 })));
    /// assert!(matches!(Record::decode(b"junk", &alice, 1024), Err(Error::Decode(_))));
    /// ```
    pub fn decode(bytes: &[u8], id: &SessionId, max_len: usize) -> Result<Self> {
        // An older format may be shorter than this one's header: say what
        // it is rather than that it is short.
        if bytes.len() > MAGIC.len() && bytes[..MAGIC.len()] == MAGIC && bytes[4] != FORMAT {
            return Err(corrupt("unsupported format version"));
        }
        let (header, payload) = bytes
            .split_first_chunk::<HEADER_LEN>()
            .ok_or_else(|| corrupt("shorter than the header"))?;
        let header = Header::decode(header, id)?;
        let len = header.payload_len(max_len)?;
        if payload.len() != len {
            return Err(corrupt("length does not match the header"));
        }
        Ok(header.record(payload.to_vec()))
    }

    /// The most bytes of a stored value that [`decode`](Self::decode)
    /// needs with a limit of `max_len`: a backend that reads at most this
    /// many (`GETRANGE`, `substr`, a bounded read) never reads a value
    /// over the limit whole, and still tells it apart from a valid one.
    ///
    /// ```
    /// use sessions::{Error, store::{Record, SessionId, Times, UnixTime}};
    ///
    /// let t = Times::fresh(UnixTime::from_secs(1), std::time::Duration::from_secs(9));
    /// let id = SessionId::generate();
    /// let huge = Record::new(vec![0; 1 << 20], t).encode(&id);
    /// let prefix = &huge[..Record::read_limit(1024)];
    /// let err = Record::decode(prefix, &id, 1024).unwrap_err();
    /// assert!(matches!(err, Error::RecordTooLarge { len: 1_048_576, max: 1024 }));
    /// ```
    #[must_use]
    pub fn read_limit(max_len: usize) -> usize {
        // One byte more than the largest valid record, so that trailing
        // bytes after a payload of exactly `max_len` are seen.
        HEADER_LEN.saturating_add(max_len).saturating_add(1)
    }
}

/// The header of an encoded record, checked against the id it was read
/// under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) version: u64,
    pub(super) owner: Option<OwnerId>,
    pub(super) times: Times,
    payload_len: u64,
}

impl Header {
    /// Checks magic, format, reserved bytes and the id digest.
    pub(super) fn decode(bytes: &[u8; HEADER_LEN], id: &SessionId) -> Result<Self> {
        if bytes[..4] != MAGIC {
            return Err(corrupt("wrong magic"));
        }
        if bytes[4] != FORMAT {
            return Err(corrupt("unsupported format version"));
        }
        if bytes[5..DIGEST_AT] != [0; 3] {
            return Err(corrupt("reserved bytes are set"));
        }
        let digest = &bytes[DIGEST_AT..VERSION_AT];
        if !bool::from(digest.ct_eq(&id_digest(id))) {
            return Err(corrupt("written under another id"));
        }
        let word = |at: usize| {
            let mut buf = [0; 8];
            buf.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(buf)
        };
        let mut owner = [0; OWNER_LEN];
        owner.copy_from_slice(&bytes[OWNER_AT..TIMES_AT]);
        Ok(Self {
            version: word(VERSION_AT),
            owner: OwnerId::from_stored(owner),
            times: Times {
                created_at: UnixTime::from_secs(word(TIMES_AT)),
                issued_at: UnixTime::from_secs(word(TIMES_AT + 8)),
                expires_at: UnixTime::from_secs(word(TIMES_AT + 16)),
            },
            payload_len: word(LEN_AT),
        })
    }

    /// The payload length, or [`Error::RecordTooLarge`] when it passes
    /// `max_len`.
    pub(super) fn payload_len(&self, max_len: usize) -> Result<usize> {
        match usize::try_from(self.payload_len) {
            Ok(len) if len <= max_len => Ok(len),
            _ => Err(Error::RecordTooLarge {
                len: usize::try_from(self.payload_len).unwrap_or(usize::MAX),
                max: max_len,
            }),
        }
    }

    /// The length of the whole encoded record.
    pub(super) fn encoded_len(&self) -> u64 {
        self.payload_len.saturating_add(HEADER_LEN as u64)
    }

    /// The record of this header and its `payload`, already checked
    /// against [`payload_len`](Self::payload_len).
    pub(super) fn record(&self, payload: Vec<u8>) -> Record {
        Record::new(payload, self.times)
            .with_version(self.version)
            .with_owner(self.owner)
    }
}

fn id_digest(id: &SessionId) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(ID_DIGEST_CONTEXT);
    hasher.update(id.as_bytes());
    hasher.finalize().into()
}

/// Bytes that are not a record of the id they were read under: foreign,
/// truncated, from another format version, or moved from another id. Kept
/// as the source of [`Error::Decode`]; it never names the id.
#[derive(Debug)]
struct CorruptRecord(&'static str);

impl fmt::Display for CorruptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid session record: {}", self.0)
    }
}

impl std::error::Error for CorruptRecord {}

pub(super) fn corrupt(reason: &'static str) -> Error {
    Error::Decode(Box::new(CorruptRecord(reason)))
}

/// Whether `error` reports bytes that are not a valid record.
pub(super) fn is_corrupt(error: &Error) -> bool {
    matches!(error, Error::Decode(source) if source.is::<CorruptRecord>())
}

#[cfg(test)]
mod tests;
