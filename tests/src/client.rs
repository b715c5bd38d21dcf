//! A real HTTP/1.1 client that carries cookies like a browser.
//!
//! Each request opens a TCP connection to the server, performs the HTTP/1.1
//! handshake with `hyper::client::conn::http1`, sends the request with the
//! jar's `Cookie` header and stores every `Set-Cookie` line of the answer in
//! the [`CookieJar`].

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, HOST, LOCATION, SET_COOKIE, VARY};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::jar::{CookieJar, SetCookie};

/// A response, read to the end.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// Every header, repeated ones included.
    pub headers: HeaderMap,
    /// The body, as UTF-8 (lossy).
    pub body: String,
}

impl Reply {
    /// Every `Set-Cookie` line, parsed, in the order they came.
    pub fn set_cookies(&self) -> Vec<SetCookie> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|line| SetCookie::parse(line.to_str().ok()?))
            .collect()
    }

    /// The `Set-Cookie` line for the cookie `name`, if exactly one came.
    ///
    /// # Panics
    ///
    /// When the response set that cookie more than once: a browser would
    /// keep only the last, which hides a bug.
    pub fn set_cookie(&self, name: &str) -> Option<SetCookie> {
        let mut lines = self.set_cookies().into_iter().filter(|c| c.name == name);
        let first = lines.next();
        assert!(lines.next().is_none(), "`{name}` was set twice");
        first
    }

    /// The values of every header line called `name`.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// Whether the response says it varies on `Cookie`, and how many times.
    pub fn vary_cookie_count(&self) -> usize {
        self.headers
            .get_all(VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter(|item| item.trim().eq_ignore_ascii_case("cookie"))
            .count()
    }

    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION)?.to_str().ok()
    }

    /// Whether a body line equals `line`.
    pub fn has_line(&self, line: &str) -> bool {
        self.body.lines().any(|l| l == line)
    }
}

/// A browser: a cookie jar and a server to talk to.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    jar: CookieJar,
}

impl Client {
    /// A browser with an empty jar, talking to `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            jar: CookieJar::new(),
        }
    }

    /// Talks to another server from now on, keeping the jar: cookies do not
    /// isolate by port (RFC 6265 §8.5), so a browser sends the same cookies
    /// to every server on `127.0.0.1`.
    pub fn switch_to(&mut self, addr: SocketAddr) {
        self.addr = addr;
    }

    /// The cookie jar.
    pub fn jar(&self) -> &CookieJar {
        &self.jar
    }

    /// The cookie jar, to plant or forget cookies by hand.
    pub fn jar_mut(&mut self) -> &mut CookieJar {
        &mut self.jar
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(request(Method::GET, path, Bytes::new())).await
    }

    /// `POST path` with an `application/x-www-form-urlencoded` body.
    ///
    /// # Panics
    ///
    /// Never for the field names and values the tests use: they are
    /// percent-encoded.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = request(Method::POST, path, Bytes::from(body));
        req.headers_mut().insert(
            CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self.send(req).await
    }

    /// Follows a redirect with a `GET` of its `Location`, as a browser does
    /// after a `303 See Other`.
    ///
    /// # Panics
    ///
    /// When `reply` is not a redirect with a `Location`.
    pub async fn follow(&mut self, reply: &Reply) -> Reply {
        assert!(reply.status.is_redirection(), "not a redirect: {reply:?}");
        let location = reply.location().expect("a redirect has a Location");
        self.get(location).await
    }

    /// Sends `req` (its URI is the path) with a `Host` header and, after any
    /// `Cookie` headers it already has, the jar's `Cookie` header; stores the
    /// `Set-Cookie` lines of the answer.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or breaks the connection: the
    /// server under test must always answer.
    pub async fn send(&mut self, mut req: Request<Full<Bytes>>) -> Reply {
        let path = req.uri().to_string();
        let host = http::HeaderValue::from_str(&self.addr.to_string())
            .expect("a socket address is a valid header");
        req.headers_mut().insert(HOST, host);
        if let Some(cookies) = self.jar.header_for(&path) {
            req.headers_mut().append(COOKIE, cookies);
        }
        let reply = send_once(self.addr, req).await;
        self.jar.store_response(&reply.headers, &path);
        reply
    }
}

/// A request for `path` with `body`, ready for [`Client::send`].
///
/// # Panics
///
/// When `path` is not a valid origin-form URI.
pub fn request(method: Method, path: &str, body: Bytes) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(body))
        .expect("the tests use valid paths")
}

async fn send_once(addr: SocketAddr, req: Request<Full<Bytes>>) -> Reply {
    let stream = TcpStream::connect(addr)
        .await
        .expect("the server under test accepts connections");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("the HTTP/1.1 handshake succeeds");
    let driver = tokio::spawn(connection);
    let res = sender
        .send_request(req)
        .await
        .expect("the server answers the request");
    let (parts, body) = res.into_parts();
    let body = body
        .collect()
        .await
        .expect("the server sends the whole body")
        .to_bytes();
    drop(sender);
    // The connection ends once the sender is gone; its outcome does not matter.
    let _ = driver.await;
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}
