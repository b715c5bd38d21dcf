//! The axum apps of the baseline and of `sessions` on each store.
//!
//! Our handlers are written as a user of the library writes them: the
//! derived `ProfileSession` is an extractor, the `SessionLayer` saves what
//! a handler changed.

use axum::Router;
use axum::extract::Query;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use sessions::SessionLayer;

use super::account::{Login, bare_set_cookie, parse_bare, profile_of, render, render_profile};
use crate::fixture::{Profile, ProfileSession};

/// What a handler answers: the body, or 401 for a request of nobody.
type Answer = Result<String, StatusCode>;

/// Our routes behind `layer`.
pub fn ours(layer: SessionLayer) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(show).post(bump))
        .layer(layer)
}

async fn login(Query(login): Query<Login>, user: ProfileSession) -> Answer {
    if login.user == 0 {
        return Err(StatusCode::BAD_REQUEST);
    }
    let profile = profile_of(login.user);
    let body = render_profile(&profile);
    user.replace(profile);
    Ok(body)
}

/// Reads the fields it shows, one accessor each.
async fn show(user: ProfileSession) -> Answer {
    if user.is_new() {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(render(user.user_id(), &user.username(), user.updated_at()))
}

/// Increments the counter; the layer saves the session.
async fn bump(user: ProfileSession) -> Answer {
    if user.is_new() {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let counter = user.update(|profile| {
        profile.updated_at += 1;
        profile.updated_at
    });
    Ok(render(user.user_id(), &user.username(), counter))
}

/// The same routes without sessions: who asks and their counter come in a
/// clear cookie, the profile is rebuilt from the id (as a database row
/// would be read).
pub fn baseline() -> Router {
    Router::new()
        .route("/login", post(bare_login))
        .route("/me", get(bare_show).post(bare_bump))
}

/// A response with the baseline cookie set.
type BareAnswer = Result<([(axum::http::HeaderName, String); 1], String), StatusCode>;

async fn bare_login(Query(login): Query<Login>) -> BareAnswer {
    if login.user == 0 {
        return Err(StatusCode::BAD_REQUEST);
    }
    let body = render_profile(&profile_of(login.user));
    Ok(([(SET_COOKIE, bare_set_cookie(login.user, 0))], body))
}

async fn bare_show(headers: HeaderMap) -> Answer {
    let (user, counter) = bare_cookie(&headers)?;
    let profile = Profile {
        updated_at: counter,
        ..profile_of(user)
    };
    Ok(render_profile(&profile))
}

async fn bare_bump(headers: HeaderMap) -> BareAnswer {
    let (user, counter) = bare_cookie(&headers)?;
    let profile = Profile {
        updated_at: counter + 1,
        ..profile_of(user)
    };
    let body = render_profile(&profile);
    Ok(([(SET_COOKIE, bare_set_cookie(user, counter + 1))], body))
}

fn bare_cookie(headers: &HeaderMap) -> Result<(u64, i64), StatusCode> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(parse_bare)
        .ok_or(StatusCode::UNAUTHORIZED)
}
