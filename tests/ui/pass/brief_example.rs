// The example of DESIGN §2, used through every generated method.
use serde::{Deserialize, Serialize};
use sessions::{Handle, Session, SessionData};

#[derive(Session, Serialize, Deserialize, Default, Clone)]
#[session(name = "user", max_age = 604800)]
pub struct User {
    pub user_id: Option<u64>,
    pub theme: String,
    #[session(flash)]
    pub notices: Vec<String>,
}

// Type-checked, not run: a pass case has no registry to load from.
async fn handler(user: UserSession) -> sessions::Result<()> {
    if user.user_id().is_none() {
        user.set_user_id(Some(7));
    }
    user.set_theme("dark".to_owned());
    user.push_notices("Preferences saved".to_owned());
    let shown: Vec<String> = user.take_notices().await?;
    drop(shown);
    // Through `Deref<Target = Handle<User>>`.
    let _data: User = user.get();
    user.update(|u| u.theme.push('!'));
    user.renew();
    let _ = (user.is_new(), user.is_persistent(), user.expires_at());
    Ok(())
}

fn main() {
    assert_eq!(User::CONFIG.name(), "user");
    assert_eq!(User::CONFIG.max_age().as_secs(), 604_800);
    let _load = UserSession::load::<()>;
    let _load_parts = UserSession::load_parts;
    let _handler = handler;
    let _from: fn(Handle<User>) -> UserSession = UserSession::from;
    fn clone_and_debug<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    clone_and_debug::<UserSession>();
}
