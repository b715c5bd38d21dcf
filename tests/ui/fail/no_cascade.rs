// One mistake in the attributes, and code that uses everything the derive would
// generate: the stub keeps that code compiling, so the mistake is the only error.
use serde::{Deserialize, Serialize};
use sessions::Session;

#[derive(Session, Serialize, Deserialize, Default, Clone)]
#[session(max_age = "one week")]
pub struct User {
    pub user_id: Option<u64>,
    #[session(readonly)]
    pub created: u64,
    #[session(flash)]
    pub notices: Vec<String>,
    #[session(flash)]
    pub error: Option<String>,
}

pub async fn handler(user: UserSession) -> sessions::Result<()> {
    user.set_user_id(Some(1));
    let _: Option<u64> = user.user_id();
    let _: u64 = user.created();
    user.push_notices("hi".to_owned());
    let _: Vec<String> = user.take_notices().await?;
    user.set_error("oops".to_owned());
    let _: Option<String> = user.take_error().await?;
    let _: User = user.get();
    user.renew();
    let _ = format!("{user:?}");
    let _copy = user.clone();
    Ok(())
}

fn main() {
    let _ = UserSession::load::<()>;
    let _ = UserSession::load_parts;
}
