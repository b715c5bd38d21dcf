//! `Cookie` and `Set-Cookie` on `http` types.

mod date;

use std::fmt::Write as _;

use http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE, VARY};

use crate::codec::UnixTime;
use crate::error::{Error, Result};
use crate::options::{SameSite, SessionConfig};

/// The longest `Set-Cookie` value browsers keep (RFC 6265 §6.1 minimum).
///
/// The whole line counts, attributes included: a session whose sealed
/// value fits in [`codec::MAX_SEALED_LEN`](crate::codec::MAX_SEALED_LEN)
/// can still fail here.
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// use sessions::{CookieStore, Error, Handle, Key, MAX_SET_COOKIE_LEN, Sessions};
/// # use sessions::{SessionConfig, SessionData};
/// # #[derive(Default, Serialize, Deserialize)]
/// # struct Note { text: String }
/// # impl SessionData for Note { const CONFIG: SessionConfig = SessionConfig::new("note"); }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
/// let note = Handle::<Note>::load(&req).await?;
///
/// note.update(|n| n.text = "x".repeat(2950)); // about 4000 sealed characters
/// let err = note.save(&mut http::Response::new(())).await.unwrap_err();
/// assert!(matches!(err, Error::CookieTooLarge { len, max: MAX_SET_COOKIE_LEN, .. }
///     if len > MAX_SET_COOKIE_LEN));
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
pub const MAX_SET_COOKIE_LEN: usize = 4096;

/// How many cookies of one name are tried; more is an attack or a bug.
const MAX_CANDIDATES: usize = 8;

/// Every value of the cookie `name` across all `Cookie` headers, in order.
///
/// A name can appear more than once (cookies with different paths or
/// domains shadow each other), so each value is a candidate to try.
pub(crate) fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    for header in headers.get_all(COOKIE) {
        // Browsers send other cookies' values as raw UTF-8; one of them must
        // not hide ours, so read the header leniently, pair by pair.
        let text = String::from_utf8_lossy(header.as_bytes());
        for (pair_name, value) in text.split(';').filter_map(|pair| pair.split_once('=')) {
            if pair_name.trim() == name && values.len() < MAX_CANDIDATES {
                values.push(unquote(value.trim()).to_owned());
            }
        }
    }
    values
}

/// A cookie value may come in double quotes (RFC 6265 §4.1.1); ours never
/// does, but a proxy may add them.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

/// The `Set-Cookie` value for a saved session.
pub(crate) fn set_cookie(
    config: &SessionConfig,
    value: &str,
    persistent: bool,
    now: UnixTime,
) -> Result<HeaderValue> {
    let max_age = persistent.then(|| config.max_age().as_secs());
    let line = cookie_line(config, value, max_age, now);
    if line.len() > MAX_SET_COOKIE_LEN {
        return Err(Error::CookieTooLarge {
            session: config.name().to_owned(),
            len: line.len(),
            max: MAX_SET_COOKIE_LEN,
        });
    }
    HeaderValue::try_from(line).map_err(|e| Error::Encode(Box::new(e)))
}

/// The `Set-Cookie` value that deletes the session cookie: same name, Path
/// and Domain, `Max-Age=0` and an `Expires` in 1970.
pub(crate) fn removal_cookie(config: &SessionConfig) -> HeaderValue {
    let line = cookie_line(config, "", Some(0), UnixTime::from_secs(0));
    HeaderValue::try_from(line)
        .expect("a removal cookie holds only the configured name and options")
}

/// `name=value` and every attribute, in one allocation. `max_age` of
/// `None` makes a cookie that ends with the browser session; otherwise it
/// comes with the matching `Expires` for clients that ignore `Max-Age`.
fn cookie_line(config: &SessionConfig, value: &str, max_age: Option<u64>, now: UnixTime) -> String {
    let mut line = String::with_capacity(config.name().len() + value.len() + 128);
    let _ = write!(line, "{}={value}; Path={}", config.name(), config.path());
    if let Some(domain) = config.domain() {
        let _ = write!(line, "; Domain={domain}");
    }
    if let Some(secs) = max_age {
        let _ = write!(line, "; Max-Age={secs}; Expires=");
        date::write_imf_fixdate(
            &mut line,
            UnixTime::from_secs(now.as_secs().saturating_add(secs)),
        );
    }
    if config.is_secure() {
        line.push_str("; Secure");
    }
    if config.is_http_only() {
        line.push_str("; HttpOnly");
    }
    line.push_str(match config.same_site() {
        SameSite::Strict => "; SameSite=Strict",
        SameSite::Lax => "; SameSite=Lax",
        SameSite::None => "; SameSite=None",
    });
    if config.is_partitioned() {
        line.push_str("; Partitioned");
    }
    line
}

/// Appends `Set-Cookie` lines (one per cookie) and `Vary: Cookie`.
pub(crate) fn append_cookies(headers: &mut HeaderMap, cookies: Vec<HeaderValue>) {
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
    add_vary_cookie(headers);
}

/// Adds `Vary: Cookie` unless the response already varies on it.
pub(crate) fn add_vary_cookie(headers: &mut HeaderMap) {
    let varies = headers.get_all(VARY).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .any(|item| item.trim() == "*" || item.trim().eq_ignore_ascii_case("cookie"))
        })
    });
    if !varies {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for c in cookies {
            map.append(COOKIE, HeaderValue::from_str(c).unwrap());
        }
        map
    }

    #[test]
    fn reads_every_cookie_header_and_every_candidate() {
        let map = headers(&["a=1; user=x", "user=y", "b=2;user=z"]);
        assert_eq!(cookie_values(&map, "user"), ["x", "y", "z"]);
        assert!(cookie_values(&map, "nobody").is_empty());
    }

    #[test]
    fn a_non_ascii_cookie_does_not_hide_the_others() {
        let mut map = HeaderMap::new();
        map.append(
            COOKIE,
            HeaderValue::from_bytes("note=café; user=x".as_bytes()).unwrap(),
        );
        assert_eq!(cookie_values(&map, "user"), ["x"]);
    }

    #[test]
    fn pairs_are_read_leniently() {
        let map = headers(&[" user = \"x\" ;broken; =y; other=1;user=z=z "]);
        assert_eq!(cookie_values(&map, "user"), ["x", "z=z"]);
    }

    #[test]
    fn the_removal_line_is_exact() {
        let config = SessionConfig::new("user").with_secure(false);
        assert_eq!(
            removal_cookie(&config),
            "user=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn candidates_are_capped() {
        let many = vec!["user=v"; 50].join("; ");
        assert_eq!(
            cookie_values(&headers(&[&many]), "user").len(),
            MAX_CANDIDATES
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
        let line = set_cookie(&config, "v", true, UnixTime::from_secs(0)).unwrap();
        let line = line.to_str().unwrap();
        for part in [
            "user=v",
            "Path=/app",
            "Domain=example.com",
            "Max-Age=60",
            "Expires=Thu, 01 Jan 1970 00:01:00 GMT",
            "Secure",
            "HttpOnly",
            "SameSite=None",
            "Partitioned",
        ] {
            assert!(line.contains(part), "{part} missing from {line}");
        }
        let session = set_cookie(&config, "v", false, UnixTime::from_secs(0)).unwrap();
        assert!(!session.to_str().unwrap().contains("Max-Age"));
    }

    #[test]
    fn removal_matches_path_and_domain() {
        let config = SessionConfig::new("user")
            .with_domain("example.com")
            .with_path("/app");
        let line = removal_cookie(&config);
        let line = line.to_str().unwrap();
        for part in [
            "user=",
            "Path=/app",
            "Domain=example.com",
            "Max-Age=0",
            "1970",
        ] {
            assert!(line.contains(part), "{part} missing from {line}");
        }
    }

    #[test]
    fn oversized_cookies_are_a_typed_error() {
        let config = SessionConfig::new("user");
        let err = set_cookie(&config, &"v".repeat(4090), true, UnixTime::now()).unwrap_err();
        assert!(
            matches!(err, Error::CookieTooLarge { ref session, max: 4096, .. } if session == "user")
        );
    }

    #[test]
    fn vary_cookie_is_added_once() {
        let mut map = HeaderMap::new();
        add_vary_cookie(&mut map);
        add_vary_cookie(&mut map);
        assert_eq!(map.get_all(VARY).iter().count(), 1);
    }
}
