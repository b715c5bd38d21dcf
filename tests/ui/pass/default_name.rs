// Without `name`, the cookie is named after the struct in snake_case.
use serde::{Deserialize, Serialize};
use sessions::{Session, SessionData};

#[derive(Session, Serialize, Deserialize, Default)]
struct User {}

#[derive(Session, Serialize, Deserialize, Default)]
struct UserPrefs {}

#[derive(Session, Serialize, Deserialize, Default)]
struct HTTPState {}

#[derive(Session, Serialize, Deserialize, Default)]
struct Oauth2Token {}

fn main() {
    assert_eq!(User::CONFIG.name(), "user");
    assert_eq!(UserPrefs::CONFIG.name(), "user_prefs");
    assert_eq!(HTTPState::CONFIG.name(), "http_state");
    assert_eq!(Oauth2Token::CONFIG.name(), "oauth2_token");
}
