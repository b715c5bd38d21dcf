//! The main page, `GET /`: who is logged in (or the login form), and the
//! theme.

use std::fmt::{self, Display, Formatter};

use http::{Request, Response};
use hyper::body::Incoming;
use sessions::SessionData as _;

use super::layout::Layout;
use super::panel::Panel;
use super::respond::{Body, html};
use super::{Failure, Kinds, PrefsSession, User, UserSession};
use crate::html::Escape;

pub(crate) async fn home(kinds: Kinds, req: &Request<Incoming>) -> Result<Response<Body>, Failure> {
    let user = UserSession::load(req).await?;
    let prefs = PrefsSession::load(req).await?;
    let mut notices = user.take_notices().await?;
    notices.extend(prefs.take_notices().await?);
    let panel = Panel::new().with(kinds.user, req.headers(), &user).with(
        kinds.prefs,
        req.headers(),
        &prefs,
    );
    let home = Home {
        username: user.username(),
        remembered: user.is_persistent(),
    };
    Ok(html(Layout {
        dark: prefs.theme() == "dark",
        notices: &notices,
        content: home,
        panel: &panel,
    }))
}

/// What `GET /` shows between the notices and the panel.
struct Home {
    username: Option<String>,
    remembered: bool,
}

impl Display for Home {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.username {
            Some(name) => {
                let until = if self.remembered {
                    let days = User::CONFIG.max_age().as_secs() / 86_400;
                    format!("remembered for {days} days")
                } else {
                    "until the browser closes".to_owned()
                };
                write!(
                    f,
                    "<p id=\"who\">Logged in as <strong>{}</strong> ({until}).</p>\
                     <p><a href=\"/sessions\">Your sessions</a>: every browser logged in \
                     as you, and a button to log any of them out.</p>\
                     <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
                    Escape(name),
                )?;
            }
            None => f.write_str(LOGIN_FORM)?,
        }
        f.write_str(THEME_FORM)
    }
}

const LOGIN_FORM: &str = "<p id=\"who\">Not logged in.</p>\
<form method=\"post\" action=\"/login\">\
<label>Username <input name=\"username\" required maxlength=\"64\" autocomplete=\"username\">\
</label> <label><input type=\"checkbox\" name=\"remember\"> Remember me</label> \
<button>Log in</button></form>";

const THEME_FORM: &str = "<form method=\"post\" action=\"/theme\">Theme: \
<button name=\"theme\" value=\"light\">Light</button> \
<button name=\"theme\" value=\"dark\">Dark</button></form>";
