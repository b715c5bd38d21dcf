//! The demo's kinds of response: a page, a short text, a redirect.

use std::fmt::Display;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// Every response body of the demo.
pub(crate) type Body = Full<Bytes>;

/// 200 with an HTML page. Never cached: the pages show read-once notices,
/// who is logged in and the session's times.
pub(crate) fn html(page: impl Display) -> Response<Body> {
    let mut res = Response::new(Body::from(page.to_string()));
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::from(format!("{body}\n")));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    res
}

/// 303 See Other: after a POST, the browser GETs `location`.
pub(crate) fn see_other(location: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::default());
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut()
        .insert(LOCATION, HeaderValue::from_static(location));
    res
}
