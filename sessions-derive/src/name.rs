//! Names: the default cookie name, and what a cookie name, path or domain may contain.
//!
//! These rules run at compile time so that a cookie a browser would silently drop (or a
//! `Set-Cookie` line an attacker could extend with `;`) never reaches production.

/// The separators of RFC 2616 §2.2, which RFC 6265 §4.1.1 excludes from cookie names.
const SEPARATORS: &str = "()<>@,;:\\\"/[]?={} \t";

/// Converts a type name to `snake_case`, the default cookie name.
///
/// Words break before an uppercase letter that follows a lowercase letter or a digit, and
/// before the last capital of an acronym that starts a new word, so `HTTPSession` gives
/// `http_session` rather than `h_t_t_p_session`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            push_separator(&mut out);
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_is_lower) {
                push_separator(&mut out);
            }
        }
        out.extend(c.to_lowercase());
    }
    if out.ends_with('_') {
        out.pop();
    }
    out
}

/// Pushes one `_`, never two in a row and never at the start.
fn push_separator(out: &mut String) {
    if !out.is_empty() && !out.ends_with('_') {
        out.push('_');
    }
}

/// Checks that `name` is an RFC 6265 cookie-name (an RFC 2616 token).
///
/// The error says which character is wrong, for a message such as
/// ``invalid character `;` in cookie name ...``.
pub(crate) fn check_cookie_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("expected a non-empty cookie name".to_owned());
    }
    match name.chars().find(|&c| !is_token_char(c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "invalid character {} in cookie name, expected an RFC 6265 token: \
             visible ASCII except ( ) < > @ , ; : \\ \" / [ ] ? = {{ }}",
            describe(c)
        )),
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !SEPARATORS.contains(c)
}

/// Checks a `path` attribute: RFC 6265 §5.2.4 ignores a path that does not start with `/`,
/// and §4.1.1 forbids controls and `;` in any attribute value.
pub(crate) fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("expected a cookie path starting with `/`".to_owned());
    }
    check_attribute_value(path, "path")
}

/// Checks a `domain` attribute: non-empty, no whitespace, no controls, no `;`.
pub(crate) fn check_domain(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err(
            "expected a non-empty domain, or no `domain` for a host-only cookie".to_owned(),
        );
    }
    if let Some(c) = domain.chars().find(|c| c.is_whitespace()) {
        return Err(format!(
            "invalid character {} in cookie domain",
            describe(c)
        ));
    }
    check_attribute_value(domain, "domain")
}

fn check_attribute_value(value: &str, what: &str) -> Result<(), String> {
    match value.chars().find(|&c| c.is_control() || c == ';') {
        None => Ok(()),
        Some(c) => Err(format!(
            "invalid character {} in cookie {what}",
            describe(c)
        )),
    }
}

/// Shows a character the way a user can find it in their source.
fn describe(c: char) -> String {
    match c {
        ' ' => "` ` (space)".to_owned(),
        '`' => "'`'".to_owned(),
        c if c.is_control() || c.is_whitespace() => format!("`{}`", c.escape_unicode()),
        c => format!("`{c}`"),
    }
}

/// Whether `name` starts with `prefix`, ignoring ASCII case, as browsers compare cookie
/// prefixes (RFC 6265bis §4.1.3).
pub(crate) fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::{check_cookie_name, check_domain, check_path, has_prefix, snake_case};

    #[test]
    fn snake_case_splits_words() {
        let cases = [
            ("User", "user"),
            ("UserPrefs", "user_prefs"),
            ("HTTPSession", "http_session"),
            ("APIKey", "api_key"),
            ("Oauth2Token", "oauth2_token"),
            ("V2", "v2"),
            ("V2Cart", "v2_cart"),
            ("Already_Snake", "already_snake"),
            ("Trailing_", "trailing"),
            ("A", "a"),
            ("ABC", "abc"),
            ("ÉtéData", "été_data"),
        ];
        for (input, expected) in cases {
            assert_eq!(snake_case(input), expected, "snake_case({input:?})");
        }
    }

    #[test]
    fn cookie_names_accept_tokens() {
        for name in ["user", "__Host-id", "a.b-c_d", "X!#$%&'*+^`|~", "0"] {
            assert_eq!(check_cookie_name(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn cookie_names_reject_separators_controls_and_non_ascii() {
        let cases = [
            ("a;b", "`;`"),
            ("a b", "` ` (space)"),
            ("a=b", "`=`"),
            ("a\"b", "`\"`"),
            ("a\tb", "`\\u{9}`"),
            ("a\u{7f}", "`\\u{7f}`"),
            ("é", "`é`"),
            ("{x}", "`{`"),
        ];
        for (name, shown) in cases {
            let err = check_cookie_name(name).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid character {shown} in cookie name")),
                "{name:?}: {err}"
            );
        }
    }

    #[test]
    fn empty_cookie_name_is_rejected() {
        assert_eq!(
            check_cookie_name(""),
            Err("expected a non-empty cookie name".to_owned())
        );
    }

    #[test]
    fn paths_and_domains() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/app/v1").is_ok());
        assert!(check_path("app").is_err());
        assert!(check_path("/a;b").is_err());
        assert!(check_domain("example.com").is_ok());
        assert!(check_domain(".example.com").is_ok());
        assert!(check_domain("").is_err());
        assert!(check_domain("a b").is_err());
        assert!(check_domain("a;b").is_err());
    }

    #[test]
    fn prefixes_ignore_ascii_case() {
        assert!(has_prefix("__Host-id", "__Host-"));
        assert!(has_prefix("__host-id", "__Host-"));
        assert!(!has_prefix("__Hos", "__Host-"));
        assert!(!has_prefix("é__Host-", "__Host-"));
    }
}
