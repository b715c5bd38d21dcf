//! [`SessionOwner`]: the types that can own sessions, by a stable text form.

use std::sync::Arc;

/// A value that can own sessions: a user id, an account name. Its text
/// form is what the stores index sessions under, so it must be stable
/// (the same owner always gives the same text) and must not change when
/// the program is rebuilt: integers and strings are, floats and
/// addresses are not.
///
/// `#[session(owner)]` accepts a field of any type that implements it:
/// integers, `String`, `Box<str>`, `Arc<str>`, and an `Option` of any of
/// them, where `None` is a session nobody owns (logged out). Implement it
/// for your own id types, such as a UUID newtype.
///
/// ```
/// use sessions::SessionOwner;
///
/// assert_eq!(42_u64.owner_text().as_deref(), Some("42"));
/// assert_eq!(Some("ada".to_owned()).owner_text().as_deref(), Some("ada"));
/// assert_eq!(None::<u64>.owner_text(), None);
///
/// struct AccountId([u8; 4]);
/// impl SessionOwner for AccountId {
///     fn owner_text(&self) -> Option<String> {
///         Some(self.0.iter().map(|b| format!("{b:02x}")).collect())
///     }
/// }
/// assert_eq!(AccountId([0, 1, 2, 255]).owner_text().as_deref(), Some("000102ff"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot own sessions: it has no stable text form",
    label = "the type of the `#[session(owner)]` field",
    note = "use an integer, a `String`, an `Option` of one, or implement `sessions::SessionOwner` for your id type"
)]
pub trait SessionOwner {
    /// The owner's text form, or `None` when there is no owner.
    fn owner_text(&self) -> Option<String>;
}

macro_rules! by_display {
    ($($ty:ty),* $(,)?) => {$(
        impl SessionOwner for $ty {
            fn owner_text(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

by_display!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    String,
    str,
    Box<str>,
    Arc<str>
);

impl<T: SessionOwner + ?Sized> SessionOwner for &T {
    fn owner_text(&self) -> Option<String> {
        (**self).owner_text()
    }
}

impl<T: SessionOwner> SessionOwner for Option<T> {
    fn owner_text(&self) -> Option<String> {
        self.as_ref().and_then(SessionOwner::owner_text)
    }
}
