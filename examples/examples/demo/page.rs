//! The page `GET /` shows, in HTML with every user-provided string escaped.

use std::fmt::{self, Display, Formatter};

use sessions_examples::html::Escape;

use sessions::SessionData as _;

use crate::User;

/// What `GET /` shows.
pub(crate) struct Page {
    pub(crate) username: Option<String>,
    pub(crate) remembered: bool,
    pub(crate) dark: bool,
    pub(crate) notices: Vec<String>,
}

impl Display for Page {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let class = if self.dark { "dark" } else { "light" };
        write!(
            f,
            "{PAGE_HEAD}<body class=\"{class}\"><main><h1>sessions demo</h1>"
        )?;
        for notice in &self.notices {
            write!(f, "<p class=\"notice\">{}</p>", Escape(notice))?;
        }
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
                    "<p>Logged in as <strong>{}</strong> ({until}).</p>\
                     <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
                    Escape(name),
                )?;
            }
            None => f.write_str(LOGIN_FORM)?,
        }
        writeln!(f, "{THEME_FORM}</main></body></html>")
    }
}

const PAGE_HEAD: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>sessions demo</title><style>\
body{font-family:system-ui,sans-serif;margin:0;min-height:100vh}\
main{max-width:32rem;margin:0 auto;padding:2rem}\
.light{background:#fafafa;color:#222}.dark{background:#1d2024;color:#e8e8e8}\
.notice{padding:.5rem .75rem;border-left:4px solid #3a7;background:#3a72}\
form{margin:1rem 0}input,button{font:inherit}\
</style></head>";

const LOGIN_FORM: &str = "<p>Not logged in.</p>\
<form method=\"post\" action=\"/login\">\
<label>Username <input name=\"username\" required maxlength=\"64\" autocomplete=\"username\">\
</label> <label><input type=\"checkbox\" name=\"remember\"> Remember me</label> \
<button>Log in</button></form>";

const THEME_FORM: &str = "<form method=\"post\" action=\"/theme\">Theme: \
<button name=\"theme\" value=\"light\">Light</button> \
<button name=\"theme\" value=\"dark\">Dark</button></form>";
