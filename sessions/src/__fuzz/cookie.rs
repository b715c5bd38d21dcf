//! `cookie_header`: the strict `Cookie` reader.

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use super::input::Input;
use crate::http::{MAX_CANDIDATES, cookie_values};

/// Reads the asked cookie name and `Cookie` header lines from `data` and
/// checks `cookie_values` against a plain second reading: it returns the
/// first `MAX_CANDIDATES` values of exactly the pairs whose name, less
/// the space and tab around it, equals the asked name byte for byte.
///
/// Layout: the name's length (one byte, modulo 64), the name (lossy
/// UTF-8), then header lines separated by `\n` (lines that are no valid
/// header value are skipped).
pub fn cookie_header(data: &[u8]) {
    let mut input = Input::new(data);
    let name_len = usize::from(input.byte() % 64);
    let name = String::from_utf8_lossy(input.take(name_len)).into_owned();
    let headers = header_map(input.rest());

    let values = cookie_values(&headers, &name);
    assert!(
        values.len() <= MAX_CANDIDATES,
        "{} candidates",
        values.len()
    );
    let expected = reference(&headers, name.as_bytes());
    assert_eq!(
        values,
        expected[..expected.len().min(MAX_CANDIDATES)],
        "cookie {name:?} in {headers:?}"
    );
}

fn header_map(lines: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines.split(|&byte| byte == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    headers
}

/// The values of `name`, read pair by pair with slice patterns rather than
/// the reader's iterator chain, so that a slip in either shows as a
/// disagreement.
fn reference(headers: &HeaderMap, name: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for line in headers.get_all(COOKIE) {
        for pair in line.as_bytes().split(|&byte| byte == b';') {
            let Some(equals) = pair.iter().position(|&byte| byte == b'=') else {
                continue;
            };
            if strip_space_and_tab(&pair[..equals]) != name {
                continue;
            }
            let value = match strip_space_and_tab(&pair[equals + 1..]) {
                [b'"', inner @ .., b'"'] => inner,
                value => value,
            };
            if let Ok(value) = std::str::from_utf8(value) {
                found.push(value.to_owned());
            }
        }
    }
    found
}

fn strip_space_and_tab(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}
