//! What every page of the demo shares: the head and style, the theme, the
//! read-once notices and, at the bottom, the panel of what the library did.

use std::fmt::{self, Display, Formatter};

use crate::html::Escape;

use super::panel::Panel;

/// A whole page around `content`.
pub(crate) struct Layout<'a, C> {
    pub(crate) dark: bool,
    pub(crate) notices: &'a [String],
    pub(crate) content: C,
    pub(crate) panel: &'a Panel,
}

impl<C: Display> Display for Layout<'_, C> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let class = if self.dark { "dark" } else { "light" };
        write!(
            f,
            "{PAGE_HEAD}<body class=\"{class}\"><main><h1><a href=\"/\">sessions demo</a></h1>"
        )?;
        for notice in self.notices {
            write!(f, "<p class=\"notice\">{}</p>", Escape(notice))?;
        }
        writeln!(f, "{}{}</main></body></html>", self.content, self.panel)
    }
}

const PAGE_HEAD: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>sessions demo</title><style>\
body{font-family:system-ui,sans-serif;margin:0;min-height:100vh}\
main{max-width:48rem;margin:0 auto;padding:2rem}\
.light h1 a,.dark h1 a{color:inherit;text-decoration:none}\
.light{background:#fafafa;color:#222}.dark{background:#1d2024;color:#e8e8e8}\
.dark a{color:#8cf}\
.notice{padding:.5rem .75rem;border-left:4px solid #3a7;background:#3a72}\
form{margin:1rem 0}input,button{font:inherit}td form{margin:0}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;\
border-bottom:1px solid #8884;vertical-align:top}\
.panel{margin-top:2.5rem;font-size:.9rem;opacity:.85}.panel h2{font-size:1rem}\
</style></head>";
