//! Rules that relate several attributes or several fields.
//!
//! Per-key rules (literal types, cookie-name characters) run while parsing, in `attr.rs`;
//! what is left here needs the whole struct: `same_site = "none"` against `secure`, cookie
//! name prefixes against `path` and `domain`, one `owner` per struct, and accessor names
//! against each other.

use syn::ext::IdentExt;

use crate::ast::{Accessor, Input, Kind, Role};
use crate::attr::{Container, SameSite};
use crate::ctxt::Ctxt;
use crate::name;

/// Method names a field accessor may not take: the methods of `Handle<T>` (reached through
/// `Deref`, so an inherent accessor would silently shadow them), the session type's own
/// `load`/`load_parts`, and the methods of the traits it implements, which an inherent
/// method would shadow in method-call syntax.
const RESERVED: [&str; 18] = [
    "load",
    "load_parts",
    "save",
    "destroy",
    "renew",
    "set_persistent",
    "is_persistent",
    "is_new",
    "expires_at",
    "get",
    "update",
    "replace",
    "with",
    "clone",
    "fmt",
    "deref",
    "from",
    "into",
];

/// Checks the whole struct and returns the accessors that can be generated: all of them
/// when nothing was reported, else those that do not collide, for the fallback stub.
pub(crate) fn check<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Vec<Accessor<'a>> {
    if input.attrs.name.get().is_none() {
        check_default_name(cx, input);
    }
    check_secure(cx, &input.attrs);
    check_prefixes(cx, &input.attrs, &input.cookie_name);
    check_owner(cx, input);
    check_accessors(cx, input)
}

/// The struct name is a Rust identifier, which may hold characters a cookie name may not.
fn check_default_name(cx: &Ctxt, input: &Input) {
    if let Err(msg) = name::check_cookie_name(&input.cookie_name) {
        let msg = format!(
            "{msg}; the cookie name defaults to the struct name in snake_case (`{}`), \
             set another one with `#[session(name = \"...\")]`",
            input.cookie_name
        );
        cx.error_at(input.span(), msg);
    }
}

/// Browsers drop `SameSite=None` and `Partitioned` cookies that are not `Secure`; the
/// error points at `secure = false`, the value the user most likely has to change.
fn check_secure(cx: &Ctxt, attrs: &Container) {
    let (Some(false), Some(secure)) = (attrs.secure.get(), attrs.secure.span()) else {
        return;
    };
    if attrs.same_site.get() == Some(&SameSite::None) {
        let msg = "expected `secure = true` with `same_site = \"none\"`, \
                   browsers reject SameSite=None cookies that are not Secure";
        cx.error_at(secure, msg);
    }
    if attrs.partitioned.get() == Some(&true) {
        let msg = "expected `secure = true` with `partitioned`, \
                   browsers reject Partitioned cookies that are not Secure";
        cx.error_at(secure, msg);
    }
}

/// Cookie name prefixes (RFC 6265bis §4.1.3): browsers reject a `__Secure-` cookie that is
/// not Secure and a `__Host-` cookie that is not Secure, has a Domain, or a Path other
/// than `/`.
fn check_prefixes(cx: &Ctxt, attrs: &Container, cookie_name: &str) {
    let prefix = ["__Secure-", "__Host-"]
        .into_iter()
        .find(|prefix| name::has_prefix(cookie_name, prefix));
    let Some(prefix) = prefix else {
        return;
    };
    if let (Some(false), Some(span)) = (attrs.secure.get(), attrs.secure.span()) {
        let msg = format!("expected `secure = true` for a cookie name starting with `{prefix}`");
        cx.error_at(span, msg);
    }
    if prefix != "__Host-" {
        return;
    }
    if let Some(span) = attrs.domain.span() {
        cx.error_at(
            span,
            "expected no `domain` for a cookie name starting with `__Host-`",
        );
    }
    if let (Some(path), Some(span)) = (attrs.path.get(), attrs.path.span())
        && path != "/"
    {
        cx.error_at(
            span,
            "expected `path = \"/\"` for a cookie name starting with `__Host-`",
        );
    }
}

/// A session has one owner: every `owner` after the first is an error, on that key.
fn check_owner(cx: &Ctxt, input: &Input) {
    let mut owners = input
        .fields
        .iter()
        .filter_map(|f| f.owner.map(|span| (f, span)));
    let Some((first, _)) = owners.next() else {
        return;
    };
    for (_, span) in owners {
        let msg = format!(
            "at most one field can be `#[session(owner)]`; the first is `{}`",
            first.unraw()
        );
        cx.error_at(span, msg);
    }
}

/// Reports, once per field, an accessor whose name is reserved or already taken by an
/// earlier field, and returns the accessors that are free to generate.
fn check_accessors<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Vec<Accessor<'a>> {
    let mut kept: Vec<Accessor<'a>> = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    for accessor in input.accessors() {
        let method = accessor.name.unraw().to_string();
        let clash = if RESERVED.contains(&method.as_str()) {
            Some("the session method of the same name".to_owned())
        } else {
            let earlier = kept.iter().find(|k| k.name.unraw() == method);
            earlier.map(|earlier| format!("the accessor of field `{}`", earlier.field.unraw()))
        };
        let Some(clash) = clash else {
            kept.push(accessor);
            continue;
        };
        let field = accessor.field.unraw();
        // An invalid flash type is already reported on the type: its accessor names are
        // guesses for the stub, not something the user wrote.
        if matches!(accessor.field.kind, Kind::FlashInvalid) || reported.contains(&field) {
            continue;
        }
        let fixes = if matches!(accessor.role, Role::Set) {
            "`#[session(readonly)]` or `#[session(skip)]`"
        } else {
            "`#[session(skip)]`"
        };
        let msg = format!(
            "field `{field}` would generate `{method}()`, which collides with {clash}; \
             rename the field and keep its wire name with `#[serde(rename = \"{field}\")]`, \
             or add {fixes}"
        );
        cx.error_spanned_by(accessor.field.ident, msg);
        reported.push(field);
    }
    kept
}
