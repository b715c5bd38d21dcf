//! `Set-Cookie` lines, written by the `cookie` crate from a session's
//! configuration and what its save decided.

use cookie::time::{Duration, OffsetDateTime};
use cookie::{Cookie, CookieBuilder};
use http::HeaderValue;

use super::MAX_SET_COOKIE_LEN;
use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::options::{SameSite, SessionConfig};
use crate::state::{CookieUpdate, SessionCookie};

/// 9999-12-31 23:59:59 UTC: the last date an `Expires` attribute can carry
/// (a four-digit year); later expiries are written as this.
const LAST_DATE: i64 = 253_402_300_799;

/// The `Set-Cookie` value for a session's cookie update. A line longer
/// than browsers keep is a typed error naming the session.
pub(crate) fn set_cookie(cookie: &SessionCookie) -> Result<HeaderValue> {
    let config = &cookie.config;
    let line = match &cookie.update {
        CookieUpdate::Set {
            value,
            persistent,
            now,
        } => {
            let builder = scoped(config, value);
            if *persistent {
                with_lifetime(builder, config.max_age().as_secs(), *now)
            } else {
                builder
            }
        }
        // Same name, Path and Domain, or the browser keeps the cookie.
        CookieUpdate::Remove => scoped(config, "")
            .max_age(Duration::ZERO)
            .expires(OffsetDateTime::UNIX_EPOCH),
    }
    .build()
    .to_string();
    if line.len() > MAX_SET_COOKIE_LEN {
        return Err(Error::CookieTooLarge {
            session: config.name().to_owned(),
            len: line.len(),
            max: MAX_SET_COOKIE_LEN,
        });
    }
    HeaderValue::try_from(line).map_err(|e| Error::Encode(Box::new(e)))
}

/// `name=value` with the configured scope and flags.
fn scoped<'c>(config: &SessionConfig, value: &'c str) -> CookieBuilder<'c> {
    let mut builder = Cookie::build((config.name(), value))
        .path(config.path())
        .secure(config.is_secure())
        .http_only(config.is_http_only())
        .same_site(match config.same_site() {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        });
    if let Some(domain) = config.domain() {
        builder = builder.domain(domain);
    }
    if config.is_partitioned() {
        builder = builder.partitioned(true);
    }
    builder
}

/// `Max-Age`, with the matching `Expires` for clients that ignore it.
fn with_lifetime(builder: CookieBuilder<'_>, secs: u64, now: UnixTime) -> CookieBuilder<'_> {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    let end = i64::try_from(now.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_add(secs)
        .min(LAST_DATE);
    let expires = OffsetDateTime::from_unix_timestamp(end).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    builder.max_age(Duration::seconds(secs)).expires(expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(config: SessionConfig, update: CookieUpdate) -> String {
        let header = set_cookie(&SessionCookie { config, update }).unwrap();
        header.to_str().unwrap().to_owned()
    }

    fn set(value: &str, persistent: bool, now: u64) -> CookieUpdate {
        CookieUpdate::Set {
            value: value.to_owned(),
            persistent,
            now: UnixTime::from_secs(now),
        }
    }

    #[test]
    fn the_removal_line_is_exact() {
        let config = SessionConfig::new("user").with_secure(false);
        assert_eq!(
            line(config, CookieUpdate::Remove),
            "user=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn set_cookie_carries_every_option() {
        let config = SessionConfig::new("user")
            .with_domain("example.com")
            .with_path("/app")
            .with_same_site(SameSite::None)
            .with_partitioned(true)
            .with_max_age(std::time::Duration::from_mins(1));
        assert_eq!(
            line(config, set("v", true, 0)),
            "user=v; HttpOnly; SameSite=None; Partitioned; Secure; Path=/app; \
             Domain=example.com; Max-Age=60; Expires=Thu, 01 Jan 1970 00:01:00 GMT"
        );
        let session_only = line(config, set("v", false, 0));
        assert!(!session_only.contains("Max-Age") && !session_only.contains("Expires"));
    }

    #[test]
    fn removal_matches_path_and_domain() {
        let config = SessionConfig::new("user")
            .with_domain("example.com")
            .with_path("/app");
        let removal = line(config, CookieUpdate::Remove);
        for part in ["Path=/app", "Domain=example.com", "Max-Age=0", "1970"] {
            assert!(removal.contains(part), "{part} missing from {removal}");
        }
    }

    #[test]
    fn expires_stops_at_the_last_four_digit_year() {
        let config = SessionConfig::new("user").with_max_age(std::time::Duration::from_secs(10));
        let late = line(config, set("v", true, 253_402_300_795));
        assert!(
            late.ends_with("Max-Age=10; Expires=Fri, 31 Dec 9999 23:59:59 GMT"),
            "{late}"
        );
    }

    #[test]
    fn oversized_cookies_are_a_typed_error() {
        let update = set(&"v".repeat(4090), true, 0);
        let cookie = SessionCookie {
            config: SessionConfig::new("user"),
            update,
        };
        let err = set_cookie(&cookie).unwrap_err();
        assert!(
            matches!(err, Error::CookieTooLarge { ref session, max: 4096, .. } if session == "user")
        );
    }
}
