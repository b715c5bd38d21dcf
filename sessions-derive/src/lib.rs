//! The `#[derive(Session)]` macro of the [`sessions`](https://docs.rs/sessions) crate.
//!
//! Use it through `sessions::Session`: the generated code names `::sessions` paths, so
//! this crate is of no use on its own. The pipeline has one module per stage: `ast`
//! (syn to model) with `attr` (attribute parsing), `valid` (rules across attributes and
//! fields), `expand` (code generation) and `fallback` (errors plus a stub); `ctxt`
//! collects every error so one compile reports them all.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod name;
#[cfg(test)]
mod tests;
mod valid;
mod wire;

use proc_macro::TokenStream;

/// Derives a typed session for a struct with named fields.
///
/// `#[derive(Session)] struct User { .. }` implements `sessions::SessionData` for `User`
/// and generates `UserSession`, a handle with the struct's visibility: `load(&request)`,
/// `load_parts(&parts)`, `x()` and `set_x(value)` for every field `x`, and `Deref` to
/// `sessions::Handle<User>`.
///
/// Container attributes, `#[session(...)]` on the struct, all optional:
///
/// | attribute | meaning | default |
/// |---|---|---|
/// | `name = "user"` | cookie name, an RFC 6265 token | the struct name in `snake_case` |
/// | `max_age = 604800` | lifetime in seconds, sliding on every save | 30 days |
/// | `idle_timeout = 1800` | inactivity limit enforced by the server, seconds | none |
/// | `absolute_timeout = 86400` | limit since creation, never extended, seconds | none |
/// | `persistent = false` | browser-session cookie (no `Max-Age`) | `true` |
/// | `path = "/"`, `domain = "example.com"` | cookie scope | `/`, host only |
/// | `secure = false`, `http_only = false` | cookie flags | `true`, `true` |
/// | `same_site = "strict"` | `"lax"`, `"strict"` or `"none"` | `"lax"` |
/// | `partitioned` | CHIPS (`partitioned = true` works too) | `false` |
/// | `store = "files"` | which registered store keeps the session | the default store |
/// | `on_conflict = "error"` | a concurrent save that changed the same field fails with `Error::Conflict` | the later save wins |
/// | `max_per_owner = 5` | a login past it revokes the owner's oldest session | no cap |
///
/// Field attributes: `#[session(flash)]` on `Vec<U>` gives `push_x(U)` and
/// `async fn take_x() -> Result<Vec<U>>`, on `Option<U>` gives `set_x(U)` and
/// `async fn take_x() -> Result<Option<U>>` (the take is saved before it returns);
/// `#[session(readonly)]` keeps only the getter; `#[session(skip)]` generates nothing;
/// `#[session(owner)]`, on at most one field (alone or with `readonly`), indexes the session
/// under its owner so the owner's sessions can be listed and revoked: `SessionData::owner`
/// returns the field's `sessions::SessionOwner` text (integers, strings, an `Option` of one).
/// An accessor that would collide with a method of the session (`save`, `get`, ...) or
/// with another accessor is a compile error.
///
/// The expansion is hygienic: it names every item by its absolute path, so user items
/// named `Option`, `Result`, `Request`, `B`... change nothing, and it also compiles under
/// `#[no_implicit_prelude]`. The names it introduces itself start with `__Sessions`
/// (generic parameters, such as `load<__SessionsBody>`) or `__sessions_` (parameters,
/// such as the setters' `__sessions_value`, and helpers): leave those to it.
#[proc_macro_derive(Session, attributes(session))]
pub fn derive_session(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
