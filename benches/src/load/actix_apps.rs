//! The actix-web apps: the baseline without sessions, actix-session on
//! its cookie and Redis stores, and ours under actix, with the routes and
//! bodies of the axum apps.

use actix_session::storage::SessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, web};

use super::account::{
    COOKIE as COOKIE_NAME, Login, PROFILE_KEY, bare_set_cookie, parse_bare, profile_of, render,
    render_profile,
};
use crate::fixture::{Profile, ProfileSession};

/// Which handlers an app runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handlers {
    /// No sessions: the clear cookie of the baselines.
    Bare,
    /// actix-session's `Session`, the profile under [`PROFILE_KEY`].
    ActixSession,
    /// Our derived `ProfileSession` as an extractor, as in the axum apps.
    Ours,
}

/// The routes of every app.
pub fn routes(config: &mut web::ServiceConfig, handlers: Handlers) {
    match handlers {
        Handlers::ActixSession => config
            .route("/login", web::post().to(session_login))
            .route("/me", web::get().to(session_show))
            .route("/me", web::post().to(session_bump)),
        Handlers::Bare => config
            .route("/login", web::post().to(bare_login))
            .route("/me", web::get().to(bare_show))
            .route("/me", web::post().to(bare_bump)),
        Handlers::Ours => config
            .route("/login", web::post().to(ours_login))
            .route("/me", web::get().to(ours_show))
            .route("/me", web::post().to(ours_bump)),
    };
}

/// actix-session's middleware on `store`, its cookie named like ours.
pub fn middleware<S: SessionStore>(store: S, key: Key) -> SessionMiddleware<S> {
    SessionMiddleware::builder(store, key)
        .cookie_name(COOKIE_NAME.to_owned())
        .build()
}

fn ok(body: String) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

async fn session_login(login: web::Query<Login>, session: Session) -> HttpResponse {
    if login.user == 0 {
        return HttpResponse::BadRequest().finish();
    }
    let profile = profile_of(login.user);
    match session.insert(PROFILE_KEY, &profile) {
        Ok(()) => ok(render_profile(&profile)),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// The profile, or the status to answer: 401 for nobody, 500 when the
/// session does not decode.
fn session_profile(session: &Session) -> Result<Profile, StatusCode> {
    match session.get::<Profile>(PROFILE_KEY) {
        Ok(Some(profile)) => Ok(profile),
        Ok(None) => Err(StatusCode::UNAUTHORIZED),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn session_show(session: Session) -> HttpResponse {
    match session_profile(&session) {
        Ok(profile) => ok(render_profile(&profile)),
        Err(status) => HttpResponse::new(status),
    }
}

async fn session_bump(session: Session) -> HttpResponse {
    let mut profile = match session_profile(&session) {
        Ok(profile) => profile,
        Err(status) => return HttpResponse::new(status),
    };
    profile.updated_at += 1;
    match session.insert(PROFILE_KEY, &profile) {
        Ok(()) => ok(render_profile(&profile)),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn ours_login(login: web::Query<Login>, user: ProfileSession) -> HttpResponse {
    if login.user == 0 {
        return HttpResponse::BadRequest().finish();
    }
    let profile = profile_of(login.user);
    let body = render_profile(&profile);
    user.replace(profile);
    ok(body)
}

/// Reads the fields it shows, one accessor each, as the axum handler does.
async fn ours_show(user: ProfileSession) -> HttpResponse {
    if user.is_new() {
        return HttpResponse::Unauthorized().finish();
    }
    ok(render(user.user_id(), &user.username(), user.updated_at()))
}

/// Increments the counter; the middleware saves the session.
async fn ours_bump(user: ProfileSession) -> HttpResponse {
    if user.is_new() {
        return HttpResponse::Unauthorized().finish();
    }
    let counter = user.update(|profile| {
        profile.updated_at += 1;
        profile.updated_at
    });
    ok(render(user.user_id(), &user.username(), counter))
}

async fn bare_login(login: web::Query<Login>) -> HttpResponse {
    if login.user == 0 {
        return HttpResponse::BadRequest().finish();
    }
    HttpResponse::Ok()
        .insert_header((SET_COOKIE, bare_set_cookie(login.user, 0)))
        .body(render_profile(&profile_of(login.user)))
}

/// The baseline's `(user, counter)`, read from the raw `Cookie` headers as
/// the axum baseline reads them.
fn bare_cookie(req: &HttpRequest) -> Option<(u64, i64)> {
    req.headers()
        .get_all(COOKIE)
        .filter_map(|value| value.to_str().ok())
        .find_map(parse_bare)
}

async fn bare_show(req: HttpRequest) -> HttpResponse {
    let Some((user, counter)) = bare_cookie(&req) else {
        return HttpResponse::Unauthorized().finish();
    };
    let profile = Profile {
        updated_at: counter,
        ..profile_of(user)
    };
    ok(render_profile(&profile))
}

async fn bare_bump(req: HttpRequest) -> HttpResponse {
    let Some((user, counter)) = bare_cookie(&req) else {
        return HttpResponse::Unauthorized().finish();
    };
    let profile = Profile {
        updated_at: counter + 1,
        ..profile_of(user)
    };
    HttpResponse::Ok()
        .insert_header((SET_COOKIE, bare_set_cookie(user, counter + 1)))
        .body(render_profile(&profile))
}
