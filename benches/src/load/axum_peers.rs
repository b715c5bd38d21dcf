//! The axum apps of the peers: tower-sessions (any of its stores) and
//! axum-extra's `PrivateCookieJar` holding the profile as JSON, each used
//! as its documentation shows.

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use tower_sessions::{Session, SessionManagerLayer, SessionStore};

use super::account::{COOKIE, Login, PROFILE_KEY, profile_of, render_profile};
use crate::fixture::Profile;

type Answer = Result<String, StatusCode>;

/// tower-sessions on `store`, its cookie named like ours.
pub fn tower_sessions<S: SessionStore + Clone>(store: S) -> Router {
    Router::new()
        .route("/login", post(ts_login))
        .route("/me", get(ts_show).post(ts_bump))
        .layer(SessionManagerLayer::new(store).with_name(COOKIE))
}

async fn ts_login(Query(login): Query<Login>, session: Session) -> Answer {
    if login.user == 0 {
        return Err(StatusCode::BAD_REQUEST);
    }
    let profile = profile_of(login.user);
    session
        .insert(PROFILE_KEY, &profile)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(render_profile(&profile))
}

async fn ts_profile(session: &Session) -> Result<Profile, StatusCode> {
    session
        .get::<Profile>(PROFILE_KEY)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::UNAUTHORIZED)
}

async fn ts_show(session: Session) -> Answer {
    Ok(render_profile(&ts_profile(&session).await?))
}

async fn ts_bump(session: Session) -> Answer {
    let mut profile = ts_profile(&session).await?;
    profile.updated_at += 1;
    session
        .insert(PROFILE_KEY, &profile)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(render_profile(&profile))
}

/// axum-extra's private jar, with the key as the router's state.
pub fn private_jar() -> Router {
    Router::new()
        .route("/login", post(jar_login))
        .route("/me", get(jar_show).post(jar_bump))
        .with_state(Key::generate())
}

/// The profile's cookie, with the attributes ours gets.
fn profile_cookie(profile: &Profile) -> Cookie<'static> {
    let json = serde_json::to_string(profile).expect("a profile always encodes");
    Cookie::build((COOKIE, json))
        .path("/")
        .max_age(cookie::time::Duration::weeks(1))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .build()
}

fn jar_profile(jar: &PrivateCookieJar) -> Result<Profile, StatusCode> {
    let cookie = jar.get(COOKIE).ok_or(StatusCode::UNAUTHORIZED)?;
    serde_json::from_str(cookie.value()).map_err(|_| StatusCode::UNAUTHORIZED)
}

async fn jar_login(
    Query(login): Query<Login>,
    jar: PrivateCookieJar,
) -> Result<(PrivateCookieJar, String), StatusCode> {
    if login.user == 0 {
        return Err(StatusCode::BAD_REQUEST);
    }
    let profile = profile_of(login.user);
    Ok((jar.add(profile_cookie(&profile)), render_profile(&profile)))
}

async fn jar_show(jar: PrivateCookieJar) -> Answer {
    Ok(render_profile(&jar_profile(&jar)?))
}

async fn jar_bump(jar: PrivateCookieJar) -> Result<(PrivateCookieJar, String), StatusCode> {
    let mut profile = jar_profile(&jar)?;
    profile.updated_at += 1;
    Ok((jar.add(profile_cookie(&profile)), render_profile(&profile)))
}
