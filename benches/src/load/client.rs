//! One keep-alive HTTP/1 connection of the load generator, on hyper's
//! client.

use std::net::Ipv4Addr;

use bytes::Bytes;
use http::header::{COOKIE, HOST, SET_COOKIE};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What the generator keeps of a response.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// Every `Set-Cookie` line.
    pub set_cookies: Vec<String>,
    /// The whole body.
    pub body: Bytes,
}

/// A connection to a server on loopback.
pub struct Conn {
    sender: SendRequest<Empty<Bytes>>,
    host: String,
}

impl Conn {
    /// Connects to `port` on loopback, `TCP_NODELAY` as the servers set it.
    pub async fn open(port: u16) -> Result<Self, String> {
        let tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| format!("connect to port {port}: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| format!("HTTP/1 handshake: {e}"))?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            host: format!("127.0.0.1:{port}"),
        })
    }

    /// Sends a request with no body and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
    ) -> Result<Reply, String> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host);
        if let Some(cookie) = cookie {
            req = req.header(COOKIE, cookie);
        }
        let req = req.body(Empty::new()).map_err(|e| e.to_string())?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection lost: {e}"))?;
        let res = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = res.status();
        let set_cookies = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok().map(str::to_owned))
            .collect();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Reply {
            status,
            set_cookies,
            body,
        })
    }
}
