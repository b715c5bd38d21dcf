//! What every server keeps and shows, whatever the framework or store: the
//! representative session of `fixture.rs` for user N, one body format, and
//! the clear cookie of the no-session baselines.
//!
//! `updated_at` serves as the counter a `POST /me` increments, so that the
//! load generator can tell a lost or stale write from a good one.

use crate::fixture::Profile;

/// The key under which map-based peers (tower-sessions, actix-session)
/// keep the profile.
pub const PROFILE_KEY: &str = "profile";

/// The cookie name of every system (the peers are configured to it too).
pub const COOKIE: &str = "user";

/// The query of `POST /login?user=N`.
#[derive(serde::Deserialize)]
pub struct Login {
    /// The user id; 0 is refused (it means "nobody").
    pub user: u64,
}

/// The representative session for `user`: the fixture's roles, token and
/// theme, a 13-character username of its own, and a counter at zero.
pub fn profile_of(user: u64) -> Profile {
    Profile {
        user_id: user,
        username: username_of(user),
        updated_at: 0,
        ..Profile::representative()
    }
}

/// `user000000042`: 13 characters like the fixture's username.
pub fn username_of(user: u64) -> String {
    format!("user{user:09}")
}

/// The body of every answer: the user's id, name and counter.
pub fn render(user_id: u64, username: &str, counter: i64) -> String {
    format!("user={user_id} name={username} counter={counter}\n")
}

/// [`render`] of a whole profile.
pub fn render_profile(profile: &Profile) -> String {
    render(profile.user_id, &profile.username, profile.updated_at)
}

/// What a body shows: `(user id, username, counter)`.
pub fn parse_body(body: &str) -> Option<(u64, &str, i64)> {
    let mut fields = body.trim_end().split(' ');
    let user = fields.next()?.strip_prefix("user=")?.parse().ok()?;
    let name = fields.next()?.strip_prefix("name=")?;
    let counter = fields.next()?.strip_prefix("counter=")?.parse().ok()?;
    fields.next().is_none().then_some((user, name, counter))
}

/// The baselines' cookie value: `<user>.<counter>` in clear. An app without
/// sessions still has to know who asks; this is the least it can do.
pub fn bare_value(user: u64, counter: i64) -> String {
    format!("{user}.{counter}")
}

/// The `(user, counter)` of the baselines' cookie in a `Cookie` header.
pub fn parse_bare(cookie_header: &str) -> Option<(u64, i64)> {
    let value = cookie_header.split(';').find_map(|pair| {
        let (name, value) = pair.trim_start().split_once('=')?;
        (name == COOKIE).then_some(value)
    })?;
    let (user, counter) = value.split_once('.')?;
    Some((user.parse().ok()?, counter.parse().ok()?))
}

/// The baselines' `Set-Cookie` line, with the attributes a session cookie
/// gets.
pub fn bare_set_cookie(user: u64, counter: i64) -> String {
    format!(
        "{COOKIE}={}; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax",
        bare_value(user, counter)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_bare_cookies_round_trip() {
        let profile = profile_of(42);
        assert_eq!(profile.username.len(), 13);
        let body = render_profile(&profile);
        assert_eq!(parse_body(&body), Some((42, "user000000042", 0)));
        let header = format!("other=1; {COOKIE}={}", bare_value(42, 7));
        assert_eq!(parse_bare(&header), Some((42, 7)));
        assert_eq!(parse_bare("other=1"), None);
    }
}
