//! Lua scripts sent by their digest (`EVALSHA`), and by their text only
//! when the server does not have them yet.
//!
//! Redis keeps every script it has run in a cache by its SHA-1, until it
//! restarts, fails over or is told `SCRIPT FLUSH`. Sending the digest
//! instead of the text saves the server hashing the text again on every
//! call, and the wire its bytes. The first call after the cache was
//! emptied answers `NOSCRIPT` without running anything; the call is then
//! sent again with the text, which runs it and fills the cache.

use std::sync::LazyLock;

use redis::{Cmd, ErrorKind, RedisError, ServerErrorKind};

use crate::error::Error;

/// A script and its digest.
pub(super) struct LuaScript {
    text: &'static str,
    digest: String,
}

impl LuaScript {
    fn new(text: &'static str) -> Self {
        let digest = redis::Script::new(text).get_hash().to_owned();
        Self { text, digest }
    }

    /// `EVALSHA digest` or `EVAL text`, for the caller to add the number
    /// of keys, the keys and the arguments to.
    pub(super) fn cmd(&self, how: Invoke) -> Cmd {
        match how {
            Invoke::Digest => {
                let mut cmd = redis::cmd("EVALSHA");
                cmd.arg(&self.digest);
                cmd
            }
            Invoke::Text => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(self.text);
                cmd
            }
        }
    }
}

/// How a call names its script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Invoke {
    /// By digest: what every call tries first.
    Digest,
    /// By text: after the server answered `NOSCRIPT`.
    Text,
}

/// The compare-and-set of an update (`update.lua`).
pub(super) static UPDATE: LazyLock<LuaScript> =
    LazyLock::new(|| LuaScript::new(include_str!("update.lua")));

/// Whether `error` is the server's `NOSCRIPT`: the script did not run.
pub(super) fn is_unknown_script(error: &Error) -> bool {
    let Error::Backend(source) = error else {
        return false;
    };
    source.downcast_ref::<RedisError>().is_some_and(|redis| {
        redis.kind() == ErrorKind::Server(ServerErrorKind::NoScript)
            || redis.code() == Some("NOSCRIPT")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_names_its_script_by_digest_or_by_text() {
        let by_digest = UPDATE.cmd(Invoke::Digest).get_packed_command();
        let by_text = UPDATE.cmd(Invoke::Text).get_packed_command();
        let by_digest = String::from_utf8_lossy(&by_digest);
        assert!(by_digest.contains("EVALSHA"));
        // SHA-1 in hex, as Redis names cached scripts.
        assert_eq!(UPDATE.digest.len(), 40);
        assert!(by_digest.contains(&UPDATE.digest));
        assert!(!by_digest.contains("GETRANGE"));
        assert!(String::from_utf8_lossy(&by_text).contains("GETRANGE"));
    }

    #[test]
    fn only_noscript_means_the_script_did_not_run() {
        let noscript = RedisError::from((
            ErrorKind::Server(ServerErrorKind::NoScript),
            "NOSCRIPT",
            "No matching script".to_owned(),
        ));
        assert!(is_unknown_script(&Error::Backend(Box::new(noscript))));
        let io = RedisError::from(std::io::Error::other("reset"));
        assert!(!is_unknown_script(&Error::Backend(Box::new(io))));
        assert!(!is_unknown_script(&Error::Backend("NOSCRIPT".into())));
    }
}
