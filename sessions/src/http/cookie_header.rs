//! The one `Cookie` request-header reader of the crate, strict about names.
//!
//! Reading `Cookie` is a split on `;` and `=`, but it decides which cookie
//! is ours, so names must match byte for byte. The `cookie` crate's parser
//! trims names with `str::trim`, which strips Unicode whitespace: a page on a
//! sibling subdomain can set `\u{2000}__Host-sid` (a different, unprefixed
//! cookie to the browser) and a trimming reader would take it for
//! `__Host-sid`. So this reader is our own, and only space and horizontal
//! tab, the optional whitespace of RFC 6265 §5.4, are trimmed around a pair.
//!
//! Everything else is read leniently: other applications' cookies may hold
//! bytes that are not UTF-8 or pairs without `=`, and none of that may hide
//! ours.

use http::HeaderMap;
use http::header::COOKIE;

/// How many cookies of one name are tried; more is an attack or a bug.
pub(crate) const MAX_CANDIDATES: usize = 8;

/// Every value of the cookie `name` across all `Cookie` headers, in order.
///
/// A name can appear more than once (cookies with different paths or
/// domains shadow each other), so each value is a candidate to try.
pub(crate) fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    for header in headers.get_all(COOKIE) {
        for (pair_name, value) in pairs(header.as_bytes()) {
            if values.len() == MAX_CANDIDATES {
                return values;
            }
            if pair_name == name.as_bytes()
                && let Ok(value) = std::str::from_utf8(unquote(value))
            {
                values.push(value.to_owned());
            }
        }
    }
    values
}

/// The `name=value` pairs of one header line, each side trimmed of space
/// and tab only. Pairs without `=` are skipped.
fn pairs(header: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    header.split(|&byte| byte == b';').filter_map(|pair| {
        let equals = pair.iter().position(|&byte| byte == b'=')?;
        let (name, value) = (&pair[..equals], &pair[equals + 1..]);
        Some((
            trim_optional_whitespace(name),
            trim_optional_whitespace(value),
        ))
    })
}

/// Trims RFC 6265's optional whitespace: space and horizontal tab, nothing
/// else (no U+00A0, no U+2000, no U+FEFF...).
fn trim_optional_whitespace(bytes: &[u8]) -> &[u8] {
    let is_ows = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// A cookie value may come in double quotes (RFC 6265 §4.1.1); ours never
/// does, but a proxy may add them.
fn unquote(value: &[u8]) -> &[u8] {
    value
        .strip_prefix(b"\"")
        .and_then(|inner| inner.strip_suffix(b"\""))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for c in cookies {
            map.append(COOKIE, HeaderValue::from_bytes(c.as_bytes()).unwrap());
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
        let mut map = headers(&["note=café; user=x"]);
        map.append(
            COOKIE,
            HeaderValue::from_bytes(b"raw=\xff\xfe; user=y").unwrap(),
        );
        assert_eq!(cookie_values(&map, "user"), ["x", "y"]);
    }

    #[test]
    fn pairs_are_read_leniently() {
        let map = headers(&[" user = \"x\" ;broken; =y; other=1;user=z=z \t"]);
        assert_eq!(cookie_values(&map, "user"), ["x", "z=z"]);
    }

    #[test]
    fn names_match_exactly() {
        // The attack: a sibling subdomain plants `\u{2000}__Host-sid`, which
        // the browser keeps as another cookie and sends back as it is.
        for spoof in [
            "\u{2000}__Host-sid",
            "__Host-sid\u{a0}",
            "\u{feff}__Host-sid",
            "\u{3000}__Host-sid",
            "__Host-sid\u{200a}",
            "\u{85}__Host-sid",
            "__HOST-sid",
            "__host-sid",
        ] {
            let map = headers(&[&format!("{spoof}=planted")]);
            assert!(cookie_values(&map, "__Host-sid").is_empty(), "{spoof:?}");
        }
        let map = headers(&["\t__Host-sid =ours"]);
        assert_eq!(cookie_values(&map, "__Host-sid"), ["ours"]);
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
    fn a_value_that_is_not_utf8_is_not_a_candidate() {
        let mut map = HeaderMap::new();
        map.append(
            COOKIE,
            HeaderValue::from_bytes(b"user=\xff; user=ok").unwrap(),
        );
        assert_eq!(cookie_values(&map, "user"), ["ok"]);
    }
}
