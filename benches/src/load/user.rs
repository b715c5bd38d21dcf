//! One logged-in user of the load generator: its cookies, as a browser
//! keeps them, and what its next answer must show.

use super::account::{parse_body, username_of};
use super::client::Reply;

/// A user with its cookie jar and its counter.
#[derive(Debug)]
pub struct User {
    id: u64,
    /// The counter its answers must show.
    counter: i64,
    /// `(name, value)` pairs, as `Set-Cookie` left them.
    cookies: Vec<(String, String)>,
    /// The `Cookie` header of the next request.
    header: String,
}

impl User {
    /// User `id`, not logged in yet.
    pub fn new(id: u64) -> Self {
        Self {
            id,
            counter: 0,
            cookies: Vec::new(),
            header: String::new(),
        }
    }

    /// Its id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The `Cookie` header to send, `None` while it has no cookie.
    pub fn cookie_header(&self) -> Option<&str> {
        (!self.header.is_empty()).then_some(self.header.as_str())
    }

    /// Checks `reply` (2xx, this user's id and name, the counter it expects
    /// after a read or a write), then keeps the cookies it sets.
    pub fn accept(&mut self, reply: &Reply, wrote: bool) -> Result<(), String> {
        let expected = self.counter + i64::from(wrote);
        if !reply.status.is_success() {
            return Err(format!("user {}: status {}", self.id, reply.status));
        }
        let body = std::str::from_utf8(&reply.body).map_err(|_| "a body not in UTF-8")?;
        let shown = parse_body(body);
        if shown != Some((self.id, username_of(self.id).as_str(), expected)) {
            return Err(format!(
                "user {} expected counter {expected}, got {body:?}",
                self.id
            ));
        }
        self.counter = expected;
        self.keep_cookies(&reply.set_cookies);
        Ok(())
    }

    /// Applies `Set-Cookie` lines: a new value replaces the old one, a
    /// `Max-Age=0` removes it.
    fn keep_cookies(&mut self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        for line in lines {
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let removed = parts.any(|attr| attr.trim().eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(kept, _)| kept != name);
            if !removed {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        self.header = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::StatusCode;

    use super::*;
    use crate::load::account::render;

    fn reply(body: &str, set_cookies: &[&str]) -> Reply {
        Reply {
            status: StatusCode::OK,
            set_cookies: set_cookies.iter().map(|line| (*line).to_owned()).collect(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn keeps_cookies_as_a_browser_does() {
        let mut user = User::new(7);
        let login = reply(&render(7, "user000000007", 0), &["user=a; Path=/", "x=1"]);
        user.accept(&login, false).expect("a good login");
        assert_eq!(user.cookie_header(), Some("user=a; x=1"));
        let bump = reply(&render(7, "user000000007", 1), &["x=; Max-Age=0", "user=b"]);
        user.accept(&bump, true).expect("a good write");
        assert_eq!(user.cookie_header(), Some("user=b"));
    }

    #[test]
    fn refuses_another_user_a_stale_counter_and_errors() {
        let mut user = User::new(7);
        user.accept(&reply(&render(7, "user000000007", 0), &["user=a"]), false)
            .expect("a good login");
        let other = reply(&render(8, "user000000008", 0), &[]);
        assert!(user.accept(&other, false).is_err());
        let stale = reply(&render(7, "user000000007", 0), &[]);
        assert!(user.accept(&stale, true).is_err(), "a lost write");
        let mut error = reply(&render(7, "user000000007", 0), &[]);
        error.status = StatusCode::INTERNAL_SERVER_ERROR;
        assert!(user.accept(&error, false).is_err());
    }
}
