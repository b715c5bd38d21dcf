//! A cookie jar that behaves like a browser's, for one host.
//!
//! What it does, after RFC 6265 §5.2-5.4:
//!
//! - every `Set-Cookie` line is stored, replacing the cookie of the same
//!   name and path;
//! - `Max-Age` wins over `Expires`; `Max-Age=0` (or negative) and an
//!   `Expires` in the past remove the cookie;
//! - a cookie without either is a browser-session cookie: it lives as long
//!   as the jar;
//! - a request gets the cookies whose path matches its path, longest path
//!   first, in one `Cookie` header.
//!
//! What it leaves out: every cookie is host-only (the tests only talk to
//! `127.0.0.1`, and cookies do not isolate by port, RFC 6265 §8.5), and
//! `Secure` cookies are kept and sent over plain `http`, as browsers do for
//! loopback origins, which they treat as secure contexts. So the session
//! types under test keep the default `secure = true`.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

/// One `Set-Cookie` line, parsed.
///
/// ```
/// use sessions_tests::SetCookie;
///
/// let c = SetCookie::parse("user=abc; Path=/; Max-Age=60; HttpOnly").unwrap();
/// assert_eq!((c.name.as_str(), c.value.as_str()), ("user", "abc"));
/// assert_eq!(c.max_age, Some(60));
/// assert!(c.http_only && !c.secure && !c.is_removal());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    /// The cookie name.
    pub name: String,
    /// The cookie value.
    pub value: String,
    /// The `Path` attribute, if any.
    pub path: Option<String>,
    /// The `Domain` attribute, if any.
    pub domain: Option<String>,
    /// The `Max-Age` attribute in seconds, if any.
    pub max_age: Option<i64>,
    /// The `Expires` attribute, if any and if it parses.
    pub expires: Option<SystemTime>,
    /// The `Secure` flag.
    pub secure: bool,
    /// The `HttpOnly` flag.
    pub http_only: bool,
    /// The `SameSite` attribute, if any.
    pub same_site: Option<String>,
    /// The whole line, as received.
    pub line: String,
}

impl SetCookie {
    /// Parses a `Set-Cookie` value; `None` when it has no `name=value` pair.
    ///
    /// ```
    /// let gone = sessions_tests::SetCookie::parse(
    ///     "user=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    /// )
    /// .unwrap();
    /// assert!(gone.is_removal());
    /// assert_eq!(gone.expires, Some(std::time::UNIX_EPOCH));
    /// ```
    pub fn parse(line: &str) -> Option<Self> {
        let parsed = cookie::Cookie::parse(line).ok()?;
        Some(Self {
            name: parsed.name().to_owned(),
            value: parsed.value().to_owned(),
            // A path that is not absolute is ignored (RFC 6265 §5.2.4).
            path: parsed
                .path()
                .filter(|path| path.starts_with('/'))
                .map(str::to_owned),
            domain: parsed.domain().map(str::to_owned),
            max_age: parsed.max_age().map(cookie::time::Duration::whole_seconds),
            expires: parsed.expires_datetime().map(SystemTime::from),
            secure: parsed.secure() == Some(true),
            http_only: parsed.http_only() == Some(true),
            same_site: parsed.same_site().map(|same_site| same_site.to_string()),
            line: line.to_owned(),
        })
    }

    /// Whether the cookie outlives the browser session (`Max-Age` or
    /// `Expires` present).
    pub fn is_persistent(&self) -> bool {
        self.max_age.is_some() || self.expires.is_some()
    }

    /// Whether this line deletes the cookie: `Max-Age` of zero or less, or,
    /// without `Max-Age`, an `Expires` that has passed.
    pub fn is_removal(&self) -> bool {
        match self.max_age {
            Some(seconds) => seconds <= 0,
            None => self.expires.is_some_and(|at| at <= SystemTime::now()),
        }
    }

    /// When a jar that stores it now lets it go; `None` for a session cookie.
    fn deadline(&self, now: SystemTime) -> Option<SystemTime> {
        match self.max_age {
            Some(seconds) => Some(
                u64::try_from(seconds)
                    .ok()
                    .and_then(|secs| now.checked_add(Duration::from_secs(secs)))
                    .unwrap_or(now),
            ),
            None => self.expires,
        }
    }
}

#[derive(Clone, Debug)]
struct Stored {
    name: String,
    value: String,
    path: String,
    deadline: Option<SystemTime>,
}

impl Stored {
    fn is_live(&self, now: SystemTime) -> bool {
        self.deadline.is_none_or(|deadline| deadline > now)
    }
}

/// The cookies of one browser profile for `127.0.0.1`.
///
/// ```
/// use sessions_tests::CookieJar;
///
/// let mut jar = CookieJar::new();
/// jar.store("user=abc; Path=/; Max-Age=60");
/// assert_eq!(jar.value("user"), Some("abc"));
/// assert!(jar.last_had_max_age());
/// jar.store("user=; Path=/; Max-Age=0");
/// assert_eq!(jar.value("user"), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct CookieJar {
    cookies: Vec<Stored>,
    last: Option<SetCookie>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores every `Set-Cookie` line of a response received for
    /// `request_path`.
    pub fn store_response(&mut self, headers: &HeaderMap, request_path: &str) {
        for line in headers.get_all(http::header::SET_COOKIE) {
            if let Ok(line) = line.to_str() {
                self.store_for(line, request_path);
            }
        }
    }

    /// Stores one `Set-Cookie` line received for the path `/`.
    pub fn store(&mut self, line: &str) {
        self.store_for(line, "/");
    }

    fn store_for(&mut self, line: &str, request_path: &str) {
        let Some(cookie) = SetCookie::parse(line) else {
            return;
        };
        let now = SystemTime::now();
        let path = cookie
            .path
            .clone()
            .unwrap_or_else(|| default_path(request_path));
        self.cookies
            .retain(|c| !(c.name == cookie.name && c.path == path));
        let stored = Stored {
            name: cookie.name.clone(),
            value: cookie.value.clone(),
            path,
            deadline: cookie.deadline(now),
        };
        if stored.is_live(now) {
            self.cookies.push(stored);
        }
        self.last = Some(cookie);
    }

    /// Puts a cookie in the jar by hand (path `/`, no expiry), replacing one
    /// of the same name: what a user editing their cookies would do.
    pub fn insert(&mut self, name: &str, value: &str) {
        self.store(&format!("{name}={value}; Path=/"));
    }

    /// Forgets every cookie of that name.
    pub fn remove(&mut self, name: &str) {
        self.cookies.retain(|c| c.name != name);
    }

    /// The value of the live cookie `name` (the one of the longest path).
    pub fn value(&self, name: &str) -> Option<&str> {
        let now = SystemTime::now();
        self.cookies
            .iter()
            .filter(|c| c.name == name && c.is_live(now))
            .max_by_key(|c| c.path.len())
            .map(|c| c.value.as_str())
    }

    /// The names of the live cookies, in the order they were stored.
    pub fn names(&self) -> Vec<&str> {
        let now = SystemTime::now();
        self.cookies
            .iter()
            .filter(|c| c.is_live(now))
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The last `Set-Cookie` line the jar received, parsed.
    pub fn last(&self) -> Option<&SetCookie> {
        self.last.as_ref()
    }

    /// Whether the last `Set-Cookie` line the jar received had `Max-Age`.
    pub fn last_had_max_age(&self) -> bool {
        self.last.as_ref().is_some_and(|c| c.max_age.is_some())
    }

    /// The `Cookie` header a browser sends with a request for
    /// `request_path`, or `None` when no cookie applies.
    ///
    /// # Panics
    ///
    /// When a stored cookie holds bytes a header cannot carry; the server
    /// under test would have sent an invalid header first.
    pub fn header_for(&self, request_path: &str) -> Option<HeaderValue> {
        let now = SystemTime::now();
        let mut matching: Vec<&Stored> = self
            .cookies
            .iter()
            .filter(|c| c.is_live(now) && path_matches(request_path, &c.path))
            .collect();
        // Longer paths first; a stable sort keeps creation order otherwise.
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        if matching.is_empty() {
            return None;
        }
        let text = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect::<Vec<_>>()
            .join("; ");
        Some(HeaderValue::from_str(&text).expect("stored cookies came from valid headers"))
    }
}

/// RFC 6265 §5.1.4: the directory of the request path.
fn default_path(request_path: &str) -> String {
    let path = request_path.split('?').next().unwrap_or("/");
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(end) => path[..end].to_owned(),
    }
}

/// RFC 6265 §5.1.4: whether a request path is inside a cookie path.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    let path = request_path.split('?').next().unwrap_or("/");
    path == cookie_path
        || (path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || path[cookie_path.len()..].starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_dates_parse() {
        let line = "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT";
        let expires = SetCookie::parse(line).unwrap().expires;
        assert_eq!(
            expires,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
    }

    #[test]
    fn paths_match_like_a_browser() {
        assert!(path_matches("/", "/"));
        assert!(path_matches("/app/x", "/app"));
        assert!(path_matches("/app/x?q=1", "/app/"));
        assert!(!path_matches("/application", "/app"));
        assert!(!path_matches("/", "/app"));
        assert_eq!(default_path("/login"), "/");
        assert_eq!(default_path("/app/login"), "/app");
    }

    #[test]
    fn expires_in_the_past_removes_and_max_age_wins() {
        let mut jar = CookieJar::new();
        jar.store("a=1; Path=/");
        jar.store("a=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(jar.value("a"), None);
        jar.store("b=1; Path=/; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(jar.value("b"), Some("1"));
        assert!(jar.last_had_max_age());
        jar.store("c=1; Path=/");
        assert!(!jar.last_had_max_age());
    }

    #[test]
    fn longer_paths_are_sent_first() {
        let mut jar = CookieJar::new();
        jar.store("s=root; Path=/");
        jar.store("s=app; Path=/app");
        assert_eq!(jar.header_for("/app/x").unwrap(), "s=app; s=root");
        assert_eq!(jar.header_for("/").unwrap(), "s=root");
        assert_eq!(CookieJar::new().header_for("/"), None);
    }
}
