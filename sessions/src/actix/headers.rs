//! The only crossing between actix-web's `http` 0.2 headers and the
//! core's `http` 1 headers.
//!
//! Both versions accept exactly the same bytes in a header value (visible
//! ASCII, obs-text, space and tab), so a conversion fails only if that
//! ever changes; the callers then drop the value (on the way in) or fail
//! the response closed (on the way out), and never panic.

use actix_web::http::header as actix;

/// Appends the values of `name` in `from` (actix) to `to` (core).
///
/// A value the core cannot hold is left out: for `Cookie` that is a cookie
/// the core would not have read anyway.
pub(super) fn copy_in(from: &actix::HeaderMap, name: &str, to: &mut http::HeaderMap) {
    let Ok(core_name) = http::HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    for value in from.get_all(name) {
        if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes()) {
            to.append(core_name.clone(), value);
        }
    }
}

/// Appends the values of `name` in `from` (core), after the first `skip`,
/// to `to` (actix). `false` when a value could not be converted: the
/// response then lacks a line the core meant to send.
pub(super) fn copy_out(
    from: &http::HeaderMap,
    name: &str,
    skip: usize,
    to: &mut actix::HeaderMap,
) -> bool {
    let Ok(actix_name) = actix::HeaderName::from_bytes(name.as_bytes()) else {
        return false;
    };
    let mut complete = true;
    for value in from.get_all(name).iter().skip(skip) {
        match actix::HeaderValue::from_bytes(value.as_bytes()) {
            Ok(value) => to.append(actix_name.clone(), value),
            Err(_) => complete = false,
        }
    }
    complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_cross_in_byte_for_byte() {
        let mut from = actix::HeaderMap::new();
        for line in [&b"a=1; user=x"[..], b"raw=\xff\xfe; user=y"] {
            from.append(actix::COOKIE, actix::HeaderValue::from_bytes(line).unwrap());
        }
        from.append(actix::HOST, actix::HeaderValue::from_static("example"));
        let mut to = http::HeaderMap::new();
        copy_in(&from, "cookie", &mut to);
        let values: Vec<_> = to
            .get_all("cookie")
            .iter()
            .map(http::HeaderValue::as_bytes)
            .collect();
        assert_eq!(values, [&b"a=1; user=x"[..], b"raw=\xff\xfe; user=y"]);
        assert!(!to.contains_key("host"), "only the named header crosses");
    }

    #[test]
    fn only_values_after_skip_cross_out() {
        let mut from = http::HeaderMap::new();
        from.append("vary", http::HeaderValue::from_static("Accept"));
        from.append("vary", http::HeaderValue::from_static("Cookie"));
        let mut to = actix::HeaderMap::new();
        assert!(copy_out(&from, "vary", 1, &mut to));
        let values: Vec<_> = to
            .get_all("vary")
            .map(actix::HeaderValue::as_bytes)
            .collect();
        assert_eq!(values, [&b"Cookie"[..]]);
    }
}
