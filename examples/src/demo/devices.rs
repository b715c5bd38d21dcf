//! Every session of the logged-in user, `GET /sessions`: when each began,
//! was last seen and expires, from which browser, and buttons to log one
//! out (`POST /sessions/revoke`, field `handle`) or every other one
//! (`POST /sessions/revoke-others`). Anonymous visitors go back to `/`.

use std::fmt::{self, Display, Formatter};
use std::time::SystemTime;

use http::{Request, Response};
use hyper::body::Incoming;
use sessions::{OwnedSession, SessionHandle};

use super::form::Form;
use super::layout::Layout;
use super::panel::Panel;
use super::respond::{Body, html, see_other};
use super::time::When;
use super::{Failure, Kinds, PrefsSession, User, UserSession, bad_request};
use crate::html::Escape;

pub(crate) async fn list(kinds: Kinds, req: &Request<Incoming>) -> Result<Response<Body>, Failure> {
    let user = UserSession::load(req).await?;
    let Some(username) = user.username() else {
        return Ok(see_other("/"));
    };
    let prefs = PrefsSession::load(req).await?;
    let sessions = user.owner_sessions().await?;
    let mut notices = user.take_notices().await?;
    notices.extend(prefs.take_notices().await?);
    let panel = Panel::new().with(kinds.user, req.headers(), &user).with(
        kinds.prefs,
        req.headers(),
        &prefs,
    );
    let devices = Devices {
        username,
        sessions,
        now: SystemTime::now(),
    };
    Ok(html(Layout {
        dark: prefs.theme() == "dark",
        notices: &notices,
        content: devices,
        panel: &panel,
    }))
}

pub(crate) async fn revoke(req: Request<Incoming>) -> Result<Response<Body>, Failure> {
    let user = UserSession::load(&req).await?;
    let form = Form::read(req).await?;
    if user.username().is_none() {
        return Ok(see_other("/"));
    }
    let handle = form
        .get("handle")
        .filter(|handle| !handle.is_empty())
        .ok_or(bad_request("handle: which session to log out"))?;
    // A handle of another user, forged or of a session already gone
    // revokes nothing: `Ok(false)`.
    let ended = user.revoke(&SessionHandle::from(handle.to_owned())).await?;
    user.push_notices(if ended {
        "That session is logged out: its next request starts anonymous.".to_owned()
    } else {
        "That session had already ended.".to_owned()
    });
    Ok(see_other("/sessions"))
}

pub(crate) async fn revoke_others(req: Request<Incoming>) -> Result<Response<Body>, Failure> {
    let user = UserSession::load(&req).await?;
    // No fields; read for its content type, like every form of the demo.
    Form::read(req).await?;
    if user.username().is_none() {
        return Ok(see_other("/"));
    }
    let ended = user.revoke_others().await?;
    let plural = if ended == 1 { "" } else { "s" };
    user.push_notices(format!("Logged out {ended} other session{plural}."));
    Ok(see_other("/sessions"))
}

/// What `GET /sessions` shows between the notices and the panel.
struct Devices {
    username: String,
    sessions: Vec<OwnedSession<User>>,
    now: SystemTime,
}

impl Display for Devices {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<h2>Sessions of {}</h2><p>Every browser logged in as you, oldest first. \
             Logging one out deletes it from the server: its cookie stops working at once.</p>\
             <table id=\"sessions\"><thead><tr><th>browser</th><th>logged in</th>\
             <th>last seen</th><th>expires</th><th></th></tr></thead><tbody>",
            Escape(&self.username),
        )?;
        for session in &self.sessions {
            self.row(f, session)?;
        }
        f.write_str("</tbody></table>")?;
        if self.sessions.iter().any(|session| !session.current) {
            f.write_str(
                "<form method=\"post\" action=\"/sessions/revoke-others\">\
                 <button id=\"revoke-others\">Log out everywhere else</button></form>",
            )?;
        }
        f.write_str("<p><a href=\"/\">Back</a></p>")
    }
}

impl Devices {
    fn row(&self, f: &mut Formatter<'_>, session: &OwnedSession<User>) -> fmt::Result {
        let agent = match session.data.agent.as_str() {
            "" => "(no user agent)",
            agent => agent,
        };
        let now = self.now;
        write!(
            f,
            "<tr class=\"session\" data-current=\"{current}\"><td class=\"agent\">{agent}</td>\
             <td>{created}</td><td>{seen}</td><td>{expires}</td><td>",
            current = session.current,
            agent = Escape(agent),
            created = When {
                at: session.created_at,
                now
            },
            seen = When {
                at: session.last_seen,
                now
            },
            expires = When {
                at: session.expires_at,
                now
            },
        )?;
        if session.current {
            f.write_str("<strong class=\"this-device\">this device</strong>")?;
        } else {
            write!(
                f,
                "<form method=\"post\" action=\"/sessions/revoke\">\
                 <input type=\"hidden\" name=\"handle\" value=\"{}\">\
                 <button class=\"revoke\">Log out</button></form>",
                Escape(session.handle.as_str()),
            )?;
        }
        f.write_str("</td></tr>")
    }
}
