//! The glue between the `http` types and the session core: the only place
//! that reads or writes headers.
//!
//! Sessions decide what the browser must be told (a value to set, a cookie
//! to remove, nothing); this module reads their candidates from `Cookie`
//! and writes `Set-Cookie` and `Vary`.

mod cookie_header;
mod set_cookie;

use http::header::{HeaderMap, HeaderValue, SET_COOKIE, VARY};

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use cookie_header::MAX_CANDIDATES;
pub(crate) use cookie_header::cookie_values;
pub(crate) use set_cookie::set_cookie;

/// The longest `Set-Cookie` value browsers keep (RFC 6265 §6.1 minimum).
///
/// The whole line counts, attributes included: a session whose sealed
/// value fits in the 4096 characters a sealed value may take
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

/// Appends `Set-Cookie` lines (one per cookie) and `Vary: Cookie`.
pub(crate) fn append_cookies(
    headers: &mut HeaderMap,
    cookies: impl IntoIterator<Item = HeaderValue>,
) {
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

    #[test]
    fn vary_cookie_is_added_once() {
        let mut map = HeaderMap::new();
        add_vary_cookie(&mut map);
        add_vary_cookie(&mut map);
        assert_eq!(map.get_all(VARY).iter().count(), 1);
    }

    #[test]
    fn a_response_that_varies_on_everything_needs_no_more() {
        let mut map = HeaderMap::new();
        map.append(VARY, HeaderValue::from_static("Accept, *"));
        add_vary_cookie(&mut map);
        assert_eq!(map.get_all(VARY).iter().count(), 1);
    }
}
