//! The panel at the bottom of every page: what the library did for this
//! request, session by session. Which store holds it, how large a cookie
//! the browser sent for it, and when it expires.

use std::fmt::{self, Display, Formatter};
use std::time::SystemTime;

use http::HeaderMap;
use http::header::COOKIE;
use sessions::{Handle, SessionData};

use super::time::When;

/// One line per session of the request.
pub(crate) struct Panel {
    rows: Vec<Row>,
    now: SystemTime,
}

struct Row {
    /// The session's cookie name.
    name: &'static str,
    /// The kind of its store ([`sessions::store::Store::kind`]).
    store: &'static str,
    /// The length of the cookie value the browser sent, if it sent one.
    sent: Option<usize>,
    /// `None`: no stored session was behind the request (new).
    expires_at: Option<SystemTime>,
}

impl Panel {
    pub(crate) fn new() -> Self {
        Self {
            rows: Vec::new(),
            now: SystemTime::now(),
        }
    }

    /// Adds the session `handle`, kept in a store of kind `store`, as the
    /// request with `headers` found it.
    #[must_use]
    pub(crate) fn with<T: SessionData>(
        mut self,
        store: &'static str,
        headers: &HeaderMap,
        handle: &Handle<T>,
    ) -> Self {
        let name = T::CONFIG.name();
        self.rows.push(Row {
            name,
            store,
            sent: sent_cookie_len(headers, name),
            expires_at: handle.expires_at(),
        });
        self
    }
}

/// The length in bytes of the value of the cookie `name` in the request's
/// `Cookie` headers (the first, if several have that name).
fn sent_cookie_len(headers: &HeaderMap, name: &str) -> Option<usize> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .find_map(|pair| {
            let pair = pair.trim_ascii();
            let at = pair.iter().position(|&b| b == b'=')?;
            (&pair[..at] == name.as_bytes()).then(|| pair.len() - at - 1)
        })
}

/// What the cookie of a session in a store of kind `store` carries.
fn carries(store: &str) -> &'static str {
    match store {
        "cookie" => "the data itself, encrypted",
        _ => "a sealed id: the data stays on the server",
    }
}

impl Display for Panel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(
            "<section class=\"panel\" id=\"panel\"><h2>What the library did for this \
             request</h2><table><thead><tr><th>session</th><th>store</th>\
             <th>its cookie holds</th><th>cookie sent</th><th>expires</th></tr></thead><tbody>",
        )?;
        for row in &self.rows {
            write!(
                f,
                "<tr data-session=\"{name}\"><td><code>{name}</code></td>\
                 <td class=\"store\">{store}</td><td>{carries}</td><td class=\"sent\">",
                name = row.name,
                store = row.store,
                carries = carries(row.store),
            )?;
            match (row.sent, row.expires_at) {
                (None, _) => f.write_str("none")?,
                (Some(len), Some(_)) => write!(f, "{len} bytes")?,
                (Some(len), None) => write!(f, "{len} bytes, which led to no live session")?,
            }
            f.write_str("</td><td class=\"expires\">")?;
            match row.expires_at {
                Some(at) => write!(f, "{}", When { at, now: self.now })?,
                None => f.write_str("new: not stored yet")?,
            }
            f.write_str("</td></tr>")?;
        }
        f.write_str(
            "</tbody></table><p>The cookie sizes are those of the values this browser sent; \
             a session changed by this request is saved after the page is made, so the next \
             page shows its new cookie.</p></section>",
        )
    }
}

#[cfg(test)]
mod tests {
    use http::header::COOKIE;
    use http::{HeaderMap, HeaderValue};

    use super::sent_cookie_len;

    #[test]
    fn cookie_lengths() {
        let mut headers = HeaderMap::new();
        assert_eq!(sent_cookie_len(&headers, "user"), None);
        headers.append(COOKIE, HeaderValue::from_static("a=1; user=abcd;prefs="));
        headers.append(COOKIE, HeaderValue::from_static("user=second; users=xx"));
        assert_eq!(sent_cookie_len(&headers, "user"), Some(4), "the first one");
        assert_eq!(sent_cookie_len(&headers, "prefs"), Some(0));
        assert_eq!(sent_cookie_len(&headers, "users"), Some(2));
        assert_eq!(sent_cookie_len(&headers, "use"), None);
        assert_eq!(sent_cookie_len(&headers, "a"), Some(1));
    }
}
