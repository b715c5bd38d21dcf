//! Talking to a plain-TCP Redis node by port: one inline command, one RESP
//! reply.
//!
//! The topology helpers ask their nodes about roles, slots and replication
//! with this instead of the `sessions` crate's Redis client, so they test
//! the library without depending on it. TLS nodes are out of its reach: use
//! [`RedisServer::cli`](crate::redis_server::RedisServer::cli) for those.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long a node may take to accept a connection and to answer.
const ANSWER_LIMIT: Duration = Duration::from_secs(2);

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`: a status line.
    Status(String),
    /// `-ERR ...`: the error line, without the `-`.
    Error(String),
    /// `:42`.
    Integer(i64),
    /// `$5 hello`; `None` for the nil bulk string `$-1`.
    Bulk(Option<String>),
    /// `*2 ...`; `None` for the nil array `*-1`.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The text of a status, error or bulk string; an integer in decimal;
    /// the elements of an array one per line; nil as the empty string.
    ///
    /// ```
    /// use sessions_tests::resp::Reply;
    ///
    /// let reply = Reply::Array(Some(vec![
    ///     Reply::Bulk(Some("127.0.0.1".into())),
    ///     Reply::Bulk(Some("6379".into())),
    /// ]));
    /// assert_eq!(reply.text(), "127.0.0.1\n6379");
    /// ```
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Status(s) | Self::Error(s) | Self::Bulk(Some(s)) => s.clone(),
            Self::Integer(n) => n.to_string(),
            Self::Bulk(None) | Self::Array(None) => String::new(),
            Self::Array(Some(items)) => items.iter().map(Self::text).collect::<Vec<_>>().join("\n"),
        }
    }

    /// The elements of an array; nothing for any other reply.
    #[must_use]
    pub fn items(&self) -> &[Reply] {
        match self {
            Self::Array(Some(items)) => items,
            _ => &[],
        }
    }
}

/// Sends `command` (inline protocol: words separated by spaces) to the node
/// on `127.0.0.1:port` and returns its reply.
///
/// # Panics
///
/// When the node cannot be reached or does not answer in time.
#[must_use]
pub fn query(port: u16, command: &str) -> Reply {
    try_query(port, command)
        .unwrap_or_else(|e| panic!("redis on port {port} did not answer `{command}`: {e}"))
}

/// [`query`], with a node that is down or frozen as an error rather than a
/// panic: what the topology helpers use while nodes come and go.
pub fn try_query(port: u16, command: &str) -> io::Result<Reply> {
    exchange(port, command).map(|(reply, _)| reply)
}

/// The value of `field` in an `INFO` reply (`field:value` lines).
///
/// ```
/// use sessions_tests::resp::info_field;
///
/// let info = "# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n";
/// assert_eq!(info_field(info, "master_link_status"), Some("up"));
/// assert_eq!(info_field(info, "master"), None);
/// ```
#[must_use]
pub fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| *name == field)
        .map(|(_, value)| value.trim())
}

/// One command and its reply, with the reply's bytes as they came, for
/// [`RedisServer::raw`](crate::redis_server::RedisServer::raw).
pub(crate) fn exchange(port: u16, command: &str) -> io::Result<(Reply, String)> {
    let mut stream = connect(port)?;
    stream.write_all(format!("{command}\r\n").as_bytes())?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some((reply, len)) = parse(&received)? {
            let raw = String::from_utf8_lossy(&received[..len]).into_owned();
            return Ok((reply, raw));
        }
        match stream.read(&mut chunk)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => received.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A connection to `127.0.0.1:port` that gives up after [`ANSWER_LIMIT`],
/// so a frozen node is an error, not a hang.
pub(crate) fn connect(port: u16) -> io::Result<TcpStream> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&addr, ANSWER_LIMIT)?;
    stream.set_read_timeout(Some(ANSWER_LIMIT))?;
    stream.set_write_timeout(Some(ANSWER_LIMIT))?;
    Ok(stream)
}

/// One reply from the start of `buf` and its length in bytes, or `None`
/// when more bytes are needed.
fn parse(buf: &[u8]) -> io::Result<Option<(Reply, usize)>> {
    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let line = String::from_utf8_lossy(&buf[1..end]).into_owned();
    let after = end + 2;
    match buf[0] {
        b'+' => Ok(Some((Reply::Status(line), after))),
        b'-' => Ok(Some((Reply::Error(line), after))),
        b':' => Ok(Some((Reply::Integer(number(&line)?), after))),
        b'$' => Ok(bulk(&buf[after..], number(&line)?).map(|(r, n)| (r, after + n))),
        b'*' => array(&buf[after..], number(&line)?).map(|o| o.map(|(r, n)| (r, after + n))),
        other => Err(malformed(&format!("reply type {:?}", char::from(other)))),
    }
}

/// The body of a bulk string of `len` bytes (`-1`: nil) and its length.
fn bulk(body: &[u8], len: i64) -> Option<(Reply, usize)> {
    let Ok(len) = usize::try_from(len) else {
        return Some((Reply::Bulk(None), 0));
    };
    let text = body.get(..len)?;
    body.get(len..len + 2)?;
    Some((
        Reply::Bulk(Some(String::from_utf8_lossy(text).into_owned())),
        len + 2,
    ))
}

/// The elements of an array of `count` replies (`-1`: nil) and its length.
fn array(body: &[u8], count: i64) -> io::Result<Option<(Reply, usize)>> {
    let Ok(count) = usize::try_from(count) else {
        return Ok(Some((Reply::Array(None), 0)));
    };
    let mut items = Vec::with_capacity(count);
    let mut used = 0;
    for _ in 0..count {
        let Some((item, len)) = parse(&body[used..])? else {
            return Ok(None);
        };
        items.push(item);
        used += len;
    }
    Ok(Some((Reply::Array(Some(items)), used)))
}

fn number(line: &str) -> io::Result<i64> {
    line.parse()
        .map_err(|_| malformed(&format!("number {line:?}")))
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("malformed RESP: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(wire: &str) -> Reply {
        let (reply, len) = parse(wire.as_bytes()).unwrap().expect("a whole reply");
        assert_eq!(len, wire.len(), "{wire:?} is one reply");
        reply
    }

    #[test]
    fn parses_every_reply_type() {
        assert_eq!(whole("+OK\r\n"), Reply::Status("OK".into()));
        assert_eq!(whole("-ERR no\r\n"), Reply::Error("ERR no".into()));
        assert_eq!(whole(":-7\r\n"), Reply::Integer(-7));
        assert_eq!(whole("$-1\r\n"), Reply::Bulk(None));
        assert_eq!(whole("*-1\r\n"), Reply::Array(None));
        assert_eq!(
            whole("$4\r\na\r\nb\r\n"),
            Reply::Bulk(Some("a\r\nb".into()))
        );
        let nested = whole("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n");
        assert_eq!(nested.items()[1].text(), "x");
    }

    #[test]
    fn a_reply_cut_anywhere_asks_for_more() {
        let wire = "*2\r\n$5\r\nhello\r\n:3\r\n";
        for cut in 0..wire.len() {
            assert_eq!(
                parse(&wire.as_bytes()[..cut]).unwrap(),
                None,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_unknown_reply_type_is_an_error() {
        assert!(parse(b"?\r\n").is_err());
    }
}
