// A rejected shape still gets a stub session type, so code using it adds no error.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default)]
enum Theme {
    #[default]
    Light,
    Dark,
}

async fn handler(theme: ThemeSession) -> sessions::Result<()> {
    theme.replace(Theme::Dark);
    let _ = theme.is_new();
    Ok(())
}

fn main() {
    let _ = ThemeSession::load::<()>;
    let _ = handler;
}
