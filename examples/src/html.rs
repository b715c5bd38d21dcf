//! HTML escaping for the pages the examples serve.

use std::fmt::{self, Display, Formatter};

/// Writes a string with `& < > " '` escaped, for HTML text and attributes:
/// every user-provided string goes into a page through it.
///
/// ```
/// use sessions_examples::html::Escape;
///
/// let escaped = Escape("<b a=\"1\">Tom & 'Jerry'</b>").to_string();
/// assert_eq!(escaped, "&lt;b a=&quot;1&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;");
/// assert_eq!(Escape("plain").to_string(), "plain");
/// ```
pub struct Escape<'a>(pub &'a str);

impl Display for Escape<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}
