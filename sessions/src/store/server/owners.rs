//! A `ServerStore`'s side of owners: listing an owner's sessions from the
//! backend's index, and revoking one by its handle.
//!
//! The backend's index says which records to look at; each record's own
//! owner is what counts, so an entry the backend has not cleaned yet never
//! lists (or lets anyone revoke) another owner's session.
//!
//! A handle is the session's id sealed under the store's keys for one
//! purpose: its binding name is the cookie name followed by `\0handle`,
//! which no cookie name can be, so a handle never opens as a cookie and a
//! cookie never works as a handle. It lives as long as the session.

use futures_util::future::join_all;

use super::{Backend, ServerStore, loaded};
use crate::codec::{Binding, UnixTime};
use crate::error::Result;
use crate::id::SessionId;
use crate::store::{OwnedRecord, OwnerId, Record};

impl<B: Backend> ServerStore<B> {
    /// The live sessions named `name` of `owner`, with their handles.
    pub(super) async fn list_owned(
        &self,
        name: &str,
        owner: &OwnerId,
        now: UnixTime,
    ) -> Result<Vec<OwnedRecord>> {
        self.live_owned(owner, now)
            .await?
            .into_iter()
            .map(|(id, record)| {
                let handle = self.seal_handle(name, &id, &record)?;
                Ok(OwnedRecord {
                    handle,
                    loaded: loaded(record, id),
                })
            })
            .collect()
    }

    /// Deletes the session behind `handle` if it is a live session of
    /// `owner`; whether it did.
    pub(super) async fn revoke_handle(
        &self,
        name: &str,
        owner: &OwnerId,
        handle: &str,
        now: UnixTime,
    ) -> Result<bool> {
        let Some(id) = self.open_handle(name, handle, now) else {
            return Ok(false);
        };
        let max = self.max_record_len;
        let Some(record) = self.backend.load(&id, now, max).await? else {
            return Ok(false);
        };
        if !self.is_live_of(&record, owner, now) {
            return Ok(false);
        }
        self.backend.delete(&id).await
    }

    /// Deletes every live session of `owner` but `keep`, all at once;
    /// how many were there to delete.
    pub(super) async fn revoke_owned(
        &self,
        owner: &OwnerId,
        keep: Option<&SessionId>,
        now: UnixTime,
    ) -> Result<usize> {
        let listed = self.live_owned(owner, now).await?;
        let doomed = listed
            .iter()
            .filter(|(id, _)| Some(id) != keep)
            .map(|(id, _)| self.backend.delete(id));
        let deleted = join_all(doomed).await;
        let mut count = 0;
        for outcome in deleted {
            count += usize::from(outcome?);
        }
        Ok(count)
    }

    /// What the backend's index lists for `owner`, kept only where the
    /// record itself says so: live, of this owner, within the size limit.
    async fn live_owned(&self, owner: &OwnerId, now: UnixTime) -> Result<Vec<(SessionId, Record)>> {
        let mut listed = self.backend.owned(owner, now, self.max_record_len).await?;
        listed.retain(|(_, record)| self.is_live_of(record, owner, now));
        Ok(listed)
    }

    fn is_live_of(&self, record: &Record, owner: &OwnerId, now: UnixTime) -> bool {
        record.owner.as_ref() == Some(owner)
            && !record.is_expired(now)
            && record.payload.len() <= self.max_record_len
    }

    fn seal_handle(&self, name: &str, id: &SessionId, record: &Record) -> Result<String> {
        let purpose = handle_binding_name(name);
        let binding = Binding::new(&purpose, self.backend.kind());
        self.codec.seal_bytes(&binding, record.times, id.as_bytes())
    }

    fn open_handle(&self, name: &str, handle: &str, now: UnixTime) -> Option<SessionId> {
        let purpose = handle_binding_name(name);
        let binding = Binding::new(&purpose, self.backend.kind());
        let opened = self.codec.open_bytes(&binding, handle, now).ok()?;
        SessionId::from_bytes(&opened.value)
    }
}

/// The binding name of the handles of sessions named `name`.
fn handle_binding_name(name: &str) -> String {
    format!("{name}\0handle")
}
