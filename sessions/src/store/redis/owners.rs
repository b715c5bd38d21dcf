//! The owner index of [`RedisBackend`]: one sorted set per owner, whose
//! members are the ids of the owner's sessions, scored by their expiry.
//!
//! The record is the truth; the set only says where to look. `owned`
//! reads each member's record and keeps those that are live and still
//! the owner's, so an entry left behind (a session deleted, expired,
//! handed to another owner, or indexed by a save that turned out
//! `Stale` or `Missing`) is never listed. What keeps the sets small:
//! every add drops the expired members and sets the set to expire with
//! its last one, `delete` takes its id out, and `owned` prunes what it
//! found stale.
//!
//! [`RedisStore`](super::RedisStore)'s docs describe the layout and the
//! round trips for users.

use std::time::{Duration, Instant};

use redis::{Cmd, FromRedisValue};

use super::RedisBackend;
use super::connection::{Request, bounded};
use crate::codec::UnixTime;
use crate::error::Result;
use crate::id::SessionId;
use crate::store::record::{HEADER_LEN, Header};
use crate::store::{OwnerId, Record};

/// Adds an id to its owner's set: `KEYS[1]` the set; `ARGV[1]` the id,
/// `ARGV[2]` its record's expiry and `ARGV[3]` now, in ms since the epoch.
pub(super) const INDEX_SCRIPT: &str = include_str!("index.lua");
/// Removes the members `owned` found stale, unless added again since.
const PRUNE_SCRIPT: &str = include_str!("prune.lua");
/// Deletes a session and replies the header it had.
const DELETE_SCRIPT: &str = include_str!("delete.lua");

/// What follows the prefix in an owner's key, before the digest's hex. A
/// session's key has its id there: base64url, never a colon, so the two
/// kinds of keys never meet.
pub(super) const OWNER_KEY_PART: &str = "owner:";

/// The key of `owner`'s set under `prefix`: the digest's hex, never the
/// owner's text.
pub(super) fn owner_key(prefix: &str, owner: &OwnerId) -> String {
    format!("{prefix}{OWNER_KEY_PART}{}", owner.to_hex())
}

/// `time` in ms since the epoch, as Redis's `PXAT` and the scores take it.
pub(super) fn millis(time: UnixTime) -> u64 {
    time.as_secs().saturating_mul(1000)
}

impl RedisBackend {
    /// Sends a session's write `cmd` with, for a record that has an
    /// owner, its `index` update.
    pub(super) async fn write_indexed<T: FromRedisValue + Send>(
        &self,
        cmd: Cmd,
        index: Option<Cmd>,
    ) -> Result<T> {
        let Some(index) = index else {
            return self.write(cmd).await;
        };
        #[cfg(feature = "redis-cluster")]
        if self.connection.is_cluster() {
            // Two slots: two requests, sent at once, each with its own
            // `WAIT` when durable. The entry may land before the record,
            // which is why `prune` does nothing on a Cluster.
            let both = futures_util::future::try_join(self.write(cmd), self.write::<i64>(index));
            return Ok(both.await?.0);
        }
        // One transaction, so that `owned` never sees the entry without
        // the record (and `prune` may trust what it reads), nor a dropped
        // connection leaves the record without its entry.
        let mut pipeline = redis::pipe();
        pipeline.cmd("MULTI").ignore();
        pipeline.add_command(cmd).ignore();
        pipeline.add_command(index).ignore();
        pipeline.cmd("EXEC");
        let ((reply, _members),): ((T, i64),) = self.send_durably(pipeline).await?;
        Ok(reply)
    }

    /// [`INDEX_SCRIPT`] for `record` written under `id`; `None` when the
    /// record has no owner.
    ///
    /// It is sent with every write, applied or not: an update that turns
    /// out `Stale` or `Missing` still adds its id, which is harmless
    /// because `owned` checks every member against its record.
    pub(super) fn index_cmd(&self, id: &SessionId, record: &Record, now: UnixTime) -> Option<Cmd> {
        let owner = record.owner?;
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(INDEX_SCRIPT)
            .arg(1)
            .arg(owner_key(&self.options.prefix, &owner))
            .arg(id.to_string())
            .arg(millis(record.times.expires_at))
            .arg(millis(now));
        Some(cmd)
    }

    /// Deletes `id`'s record and takes its id out of its owner's set. The
    /// script replies the record's header, which names the owner; the
    /// `ZREM` is a second round trip, for a record with an owner only,
    /// both within the bound.
    pub(super) async fn delete_indexed(&self, id: &SessionId) -> Result<bool> {
        let started = Instant::now();
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(DELETE_SCRIPT)
            .arg(1)
            .arg(self.key(id))
            .arg(HEADER_LEN - 1);
        let (deleted, head): (i64, Vec<u8>) = self.write(cmd).await?;
        if let Some(owner) = owner_in(&head, id) {
            let left = self.options.bound().saturating_sub(started.elapsed());
            self.unindex(&owner, id, left).await;
        }
        Ok(deleted > 0)
    }

    /// Takes `id` out of `owner`'s set. The session is already gone, so a
    /// failure only leaves a stale entry, which `owned` never lists and
    /// the set's expiry removes: it is logged, and the delete stands.
    async fn unindex(&self, owner: &OwnerId, id: &SessionId, bound: Duration) {
        let mut cmd = redis::cmd("ZREM");
        cmd.arg(owner_key(&self.options.prefix, owner))
            .arg(id.to_string());
        let sent = self.connection.send::<i64>(Request::Cmd(&cmd), bound);
        if let Err(error) = sent.await {
            tracing::warn!(%error, "a deleted session stays in its owner's index until it expires");
        }
    }

    /// The live records of `owner`: its set's members, then their records
    /// (two round trips, a third to prune stale members), all within the
    /// bound.
    pub(super) async fn list_owned(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let listing = self.owned_records(owner, now, max_len);
        bounded(self.options.bound(), listing).await
    }

    async fn owned_records(
        &self,
        owner: &OwnerId,
        now: UnixTime,
        max_len: usize,
    ) -> Result<Vec<(SessionId, Record)>> {
        let key = owner_key(&self.options.prefix, owner);
        let members = self.members(&key, now).await?;
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let values = self.heads(&members, max_len).await?;
        let (mut listed, mut stale) = (Vec::new(), Vec::new());
        for ((id, score), bytes) in members.into_iter().zip(values) {
            match live_owned(&bytes, &id, owner, now, max_len)? {
                Some(record) => listed.push((id, record)),
                None => stale.push((id, score)),
            }
        }
        self.prune(&key, &stale).await;
        Ok(listed)
    }

    /// The members of the set at `key` that expire after `now`, with
    /// their scores as Redis wrote them, once the others are dropped: one
    /// request on one key. Members that are not ids (no store wrote them)
    /// are left alone.
    async fn members(&self, key: &str, now: UnixTime) -> Result<Vec<(SessionId, String)>> {
        let now = millis(now);
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("ZREMRANGEBYSCORE")
            .arg(key)
            .arg("-inf")
            .arg(now)
            .ignore();
        pipeline
            .cmd("ZRANGEBYSCORE")
            .arg(key)
            .arg(format!("({now}"))
            .arg("+inf")
            .arg("WITHSCORES");
        let bound = self.options.bound();
        let (members,): (Vec<(String, String)>,) = self
            .connection
            .send(Request::Pipeline(&pipeline), bound)
            .await?;
        let ids = members.into_iter().filter_map(|(member, score)| {
            let id = member.parse::<SessionId>().ok()?;
            Some((id, score))
        });
        Ok(ids.collect())
    }

    /// The value of each member's key, cut as `load` cuts it: one
    /// pipeline, or concurrent requests on a Cluster.
    async fn heads(&self, members: &[(SessionId, String)], max_len: usize) -> Result<Vec<Vec<u8>>> {
        let end = Record::read_limit(max_len).saturating_sub(1);
        let end = i64::try_from(end).unwrap_or(i64::MAX);
        let cmds = members.iter().map(|(id, _)| {
            let mut cmd = redis::cmd("GETRANGE");
            cmd.arg(self.key(id)).arg(0).arg(end);
            cmd
        });
        let bound = self.options.bound();
        self.connection.send_each(cmds.collect(), bound).await
    }

    /// Removes the `stale` members that nothing added again since they
    /// were read ([`PRUNE_SCRIPT`]); a failure leaves them for the next
    /// listing or their expiry, and is logged.
    ///
    /// On a Cluster nothing is pruned here: a session's record and its
    /// entry are two requests to two nodes, so an entry whose record is
    /// missing or another owner's may be a save still landing, and
    /// removing it would hide a live session. There the members leave at
    /// their expiry, and `delete` removes its own.
    async fn prune(&self, key: &str, stale: &[(SessionId, String)]) {
        #[cfg(feature = "redis-cluster")]
        if self.connection.is_cluster() {
            return;
        }
        if stale.is_empty() {
            return;
        }
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(PRUNE_SCRIPT).arg(1).arg(key);
        for (id, score) in stale {
            cmd.arg(id.to_string()).arg(score);
        }
        let bound = self.options.bound();
        let sent = self.connection.send::<i64>(Request::Cmd(&cmd), bound);
        if let Err(error) = sent.await {
            tracing::warn!(%error, "stale entries stay in an owner's index until the next listing");
        }
    }
}

/// The owner in the header at the start of `head`, if it is the header of
/// a record of `id` that has one.
fn owner_in(head: &[u8], id: &SessionId) -> Option<OwnerId> {
    let header = head.first_chunk::<HEADER_LEN>()?;
    Header::decode(header, id).ok()?.owner
}

/// The record in `bytes` (a value cut at the read limit) if it is live at
/// `now` and `owner`'s; `None` for a stale member: no value, an expired
/// record, another owner's. A value that is not a record of `id`, or is
/// over `max_len`, fails as `load` fails.
fn live_owned(
    bytes: &[u8],
    id: &SessionId,
    owner: &OwnerId,
    now: UnixTime,
    max_len: usize,
) -> Result<Option<Record>> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let record = Record::decode(bytes, id, max_len)?;
    Ok(Some(record).filter(|r| !r.is_expired(now) && r.owner == Some(*owner)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::Error;
    use crate::store::Times;

    fn record(owner: Option<OwnerId>, now: UnixTime) -> Record {
        let times = Times::fresh(now, Duration::from_mins(1));
        Record::new(b"payload".to_vec(), times).with_owner(owner)
    }

    #[test]
    fn an_owner_key_holds_the_digest_never_the_owner_text() {
        let owner = OwnerId::new("user", "ada@example.com");
        let key = owner_key("shop:session:", &owner);
        assert_eq!(key, format!("shop:session:owner:{}", owner.to_hex()));
        assert!(!key.contains("ada"));
        // A session key has 43 characters of base64url after the prefix.
        assert_ne!(key.len() - "shop:session:".len(), 43);
    }

    #[test]
    fn the_owner_comes_from_a_header_of_the_same_id_only() {
        let (id, now) = (SessionId::generate(), UnixTime::from_secs(1_000));
        let ada = OwnerId::new("user", "ada");
        let bytes = record(Some(ada), now).encode(&id);
        assert_eq!(owner_in(&bytes[..HEADER_LEN], &id), Some(ada));
        assert_eq!(owner_in(&bytes[..HEADER_LEN], &SessionId::generate()), None);
        assert_eq!(owner_in(&bytes[..HEADER_LEN - 1], &id), None);
        assert_eq!(owner_in(b"", &id), None);
        let unowned = record(None, now).encode(&id);
        assert_eq!(owner_in(&unowned, &id), None);
    }

    #[test]
    fn only_live_records_of_the_owner_are_listed() {
        let (id, now) = (SessionId::generate(), UnixTime::from_secs(1_000));
        let (ada, bob) = (OwnerId::new("user", "ada"), OwnerId::new("user", "bob"));
        let adas = record(Some(ada), now);
        let listed = live_owned(&adas.encode(&id), &id, &ada, now, 64).unwrap();
        assert_eq!(listed, Some(adas.clone()));
        let later = UnixTime::from_secs(1_060);
        assert_eq!(
            live_owned(&adas.encode(&id), &id, &ada, later, 64).unwrap(),
            None
        );
        assert_eq!(
            live_owned(&adas.encode(&id), &id, &bob, now, 64).unwrap(),
            None
        );
        let unowned = record(None, now).encode(&id);
        assert_eq!(live_owned(&unowned, &id, &ada, now, 64).unwrap(), None);
        assert_eq!(live_owned(b"", &id, &ada, now, 64).unwrap(), None);
    }

    #[test]
    fn a_value_that_is_no_record_of_the_id_fails_as_load_does() {
        let (id, now) = (SessionId::generate(), UnixTime::from_secs(1_000));
        let ada = OwnerId::new("user", "ada");
        let moved = record(Some(ada), now).encode(&SessionId::generate());
        let err = live_owned(&moved, &id, &ada, now, 64).unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
        let large = record(Some(ada), now).encode(&id);
        let err = live_owned(&large, &id, &ada, now, 3).unwrap_err();
        assert!(
            matches!(err, Error::RecordTooLarge { len: 7, max: 3 }),
            "{err:?}"
        );
    }
}
