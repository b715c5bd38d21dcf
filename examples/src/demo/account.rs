//! Logging in and out, and the theme: the forms of the main page.

use http::Request;
use http::header::USER_AGENT;
use hyper::body::Incoming;

use super::form::Form;
use super::respond::{Body, see_other};
use super::{Failure, PrefsSession, UserSession, bad_request};

/// The longest username accepted, in characters.
const MAX_USERNAME_LEN: usize = 64;

/// The longest `User-Agent` kept in the session, in characters: enough to
/// tell browsers apart, and a bound on what a client can make us store.
const MAX_USER_AGENT_LEN: usize = 256;

pub(crate) async fn login(req: Request<Incoming>) -> Result<http::Response<Body>, Failure> {
    let user = UserSession::load(&req).await?;
    let agent = user_agent(&req);
    let form = Form::read(req).await?;
    let username = form
        .get("username")
        .map(str::trim)
        .filter(|name| valid_username(name))
        .ok_or(bad_request("username: 1 to 64 printable characters"))?;
    // The owner: from the next save on, this session is indexed under it.
    user.set_username(Some(username.to_owned()));
    user.set_agent(agent);
    // Unticked means a browser-session cookie, even if an earlier login
    // was remembered.
    user.set_persistent(form.get("remember") == Some("on"));
    // A new identity at login: a cookie planted before it is worthless.
    user.renew();
    user.push_notices(format!("Welcome, {username}"));
    Ok(see_other("/"))
}

fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_LEN
        && !name.chars().any(char::is_control)
}

/// The request's `User-Agent`, cut to `MAX_USER_AGENT_LEN` characters;
/// empty when it sent none.
fn user_agent<B>(req: &Request<B>) -> String {
    let Some(value) = req.headers().get(USER_AGENT) else {
        return String::new();
    };
    String::from_utf8_lossy(value.as_bytes())
        .chars()
        .take(MAX_USER_AGENT_LEN)
        .collect()
}

pub(crate) async fn logout(req: &Request<Incoming>) -> Result<http::Response<Body>, Failure> {
    // Sessions are saved in load order: `prefs` first puts the removal of
    // `user` last, which old curl (7.88) needs to drop the cookie from its jar.
    let prefs = PrefsSession::load(req).await?;
    let user = UserSession::load(req).await?;
    let goodbye = match user.username() {
        Some(name) => format!("Goodbye, {name}"),
        None => "You were not logged in".to_owned(),
    };
    // A change to `user` after `destroy` would not bring the old data back:
    // it would start a new, empty session under a new id. The goodbye goes
    // to `prefs` instead, so `user` is simply removed.
    user.destroy();
    prefs.push_notices(goodbye);
    Ok(see_other("/"))
}

pub(crate) async fn theme(req: Request<Incoming>) -> Result<http::Response<Body>, Failure> {
    let prefs = PrefsSession::load(&req).await?;
    let form = Form::read(req).await?;
    match form.get("theme") {
        Some(theme @ ("light" | "dark")) => prefs.set_theme(theme.to_owned()),
        _ => return Err(bad_request("theme: light or dark")),
    }
    Ok(see_other("/"))
}

#[cfg(test)]
mod tests {
    use http::Request;
    use http::header::USER_AGENT;

    use super::{MAX_USER_AGENT_LEN, user_agent, valid_username};

    #[test]
    fn usernames() {
        assert!(valid_username("ada"));
        assert!(valid_username(&"é".repeat(64)));
        assert!(!valid_username(""));
        assert!(!valid_username(&"a".repeat(65)));
        assert!(!valid_username("a\nb"));
    }

    #[test]
    fn user_agents_are_kept_short() {
        let agent = |value: &[u8]| {
            let req = Request::builder()
                .header(USER_AGENT, value)
                .body(())
                .unwrap();
            user_agent(&req)
        };
        assert_eq!(agent(b"Mozilla/5.0 (X11)"), "Mozilla/5.0 (X11)");
        assert_eq!(agent(&[b'x'; 1000]).len(), MAX_USER_AGENT_LEN);
        assert_eq!(agent(b"caf\xe9"), "caf\u{fffd}", "not UTF-8: replaced");
        assert_eq!(user_agent(&Request::new(())), "");
    }
}
