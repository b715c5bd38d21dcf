//! [`SessionData`]: what makes a struct a session.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::options::SessionConfig;
#[cfg(doc)]
use crate::owner::SessionOwner;

/// A struct that is a session: what `#[derive(Session)]` implements.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sessions::{SessionConfig, SessionData};
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Cart { items: Vec<u32> }
///
/// impl SessionData for Cart {
///     const CONFIG: SessionConfig = SessionConfig::new("cart");
/// }
/// assert_eq!(Cart::CONFIG.name(), "cart");
/// ```
pub trait SessionData: Default + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The cookie and expiry options of this session type. A configuration
    /// that breaks a rule of [`SessionConfig::check`] fails the build where
    /// the session is loaded (`cargo check` stops before it):
    ///
    /// ```compile_fail
    /// use sessions::{Handle, SessionConfig, SessionData};
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Cart { items: Vec<u32> }
    /// impl SessionData for Cart {
    ///     // error: invalid session config: the cookie path must start with `/` ...
    ///     const CONFIG: SessionConfig = SessionConfig::new("cart").with_path("/; Domain=evil");
    /// }
    /// let _load = Handle::<Cart>::load(&http::Request::new(()));
    /// ```
    const CONFIG: SessionConfig;

    /// The fields that hold flash messages, by their serialized names:
    /// when two requests save the session at once, a flash field merges
    /// its messages (every push kept, a taken message gone once) instead of
    /// one value replacing the other. `#[session(flash)]` fills it in;
    /// empty by default.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{SessionConfig, SessionData};
    /// #[derive(Default, Serialize, Deserialize)]
    /// struct Page { notices: Vec<String> }
    /// impl SessionData for Page {
    ///     const CONFIG: SessionConfig = SessionConfig::new("page");
    ///     const FLASH_FIELDS: &'static [&'static str] = &["notices"];
    /// }
    /// assert_eq!(Page::FLASH_FIELDS, ["notices"]);
    /// ```
    const FLASH_FIELDS: &'static [&'static str] = &[];

    /// Who owns this session, in the owner's stable text form (a user id),
    /// or `None` while nobody does (logged out). A server-side store
    /// indexes the session under its owner when it saves it, so that the
    /// owner's sessions can be listed and revoked. `#[session(owner)]` on a
    /// field fills it in from that field's [`SessionOwner`] text; `None` by
    /// default.
    ///
    /// ```
    /// # use serde::{Deserialize, Serialize};
    /// # use sessions::{SessionConfig, SessionData, SessionOwner};
    /// #[derive(Default, Serialize, Deserialize)]
    /// struct Account { user_id: Option<u64> }
    /// impl SessionData for Account {
    ///     const CONFIG: SessionConfig = SessionConfig::new("account");
    ///     fn owner(&self) -> Option<String> {
    ///         self.user_id.owner_text()
    ///     }
    /// }
    /// assert_eq!(Account { user_id: Some(42) }.owner().as_deref(), Some("42"));
    /// assert_eq!(Account::default().owner(), None);
    /// ```
    fn owner(&self) -> Option<String> {
        None
    }
}
