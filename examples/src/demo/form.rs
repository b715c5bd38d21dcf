//! A hand-written `application/x-www-form-urlencoded` reader: no form crate.

use http::header::CONTENT_TYPE;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::Incoming;

use super::{Failure, bad_request};

/// The largest form body a handler reads.
const MAX_FORM_LEN: usize = 16 * 1024;

/// An `application/x-www-form-urlencoded` body, decoded.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    /// Reads and decodes the body: 415 for another content type, 413 past
    /// `MAX_FORM_LEN`, 400 when it does not decode.
    pub(crate) async fn read(req: Request<Incoming>) -> Result<Self, Failure> {
        let content_type = req.headers().get(CONTENT_TYPE);
        let media_type = content_type
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::trim);
        if !media_type.is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        {
            return Err(Failure::Client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected an application/x-www-form-urlencoded body",
            ));
        }
        let body = match Limited::new(req.into_body(), MAX_FORM_LEN).collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) if error.is::<LengthLimitError>() => {
                return Err(Failure::Client(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "form too large",
                ));
            }
            Err(_) => return Err(bad_request("could not read the body")),
        };
        Self::parse(&body).ok_or(bad_request("malformed form"))
    }

    /// `a=1&b=x+y%21` → `[("a", "1"), ("b", "x y!")]`; `None` on a bad
    /// percent escape or text that is not UTF-8.
    fn parse(body: &[u8]) -> Option<Self> {
        body.split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(at) => (&pair[..at], &pair[at + 1..]),
                    None => (pair, &[][..]),
                };
                Some((percent_decode(name)?, percent_decode(value)?))
            })
            .collect::<Option<Vec<_>>>()
            .map(Self)
    }

    /// The first value of the field `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Decodes `+` to a space and `%XX` to the byte `0xXX`, then checks UTF-8.
fn percent_decode(text: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter();
    while let Some(&byte) = bytes.next() {
        out.push(match byte {
            b'+' => b' ',
            b'%' => {
                let high = hex_digit(*bytes.next()?)?;
                let low = hex_digit(*bytes.next()?)?;
                high << 4 | low
            }
            other => other,
        });
    }
    String::from_utf8(out).ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Form, percent_decode};

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode(b"a+b%21%C3%A9").as_deref(),
            Some("a b!\u{e9}")
        );
        assert_eq!(percent_decode(b"%2B+%25").as_deref(), Some("+ %"));
        assert_eq!(percent_decode(b"100%"), None);
        assert_eq!(percent_decode(b"%4"), None);
        assert_eq!(percent_decode(b"%zz"), None);
        assert_eq!(percent_decode(b"%FF"), None, "not UTF-8");
    }

    #[test]
    fn form_fields() {
        let form = Form::parse(b"username=a%26b&&remember=on&flag&username=second").unwrap();
        assert_eq!(form.get("username"), Some("a&b"));
        assert_eq!(form.get("remember"), Some("on"));
        assert_eq!(form.get("flag"), Some(""));
        assert_eq!(form.get("theme"), None);
        assert!(Form::parse(b"a=%").is_none());
    }
}
