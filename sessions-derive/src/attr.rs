//! `#[session(...)]` attributes: parsing, literal types, and per-attribute rules.
//!
//! Each key is parsed on its own: a mistake is recorded in the [`Ctxt`] on the token to
//! edit and parsing goes on, so one compile reports every bad key. Rules that relate two
//! keys (`same_site = "none"` with `secure = false`) live in `valid.rs`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, LitStr, Token, UnOp};

use crate::ctxt::Ctxt;
use crate::name;

const CONTAINER_KEYS: &str = "`name`, `max_age`, `idle_timeout`, `absolute_timeout`, \
     `persistent`, `path`, `domain`, `secure`, `http_only`, `same_site`, `partitioned`, `store`, \
     `on_conflict`, `max_per_owner`";
const FIELD_KEYS: &str = "`flash`, `skip`, `readonly` or `owner`";

/// One attribute value and the span of the literal it came from, which later rules point
/// at (`secure = false` when `same_site = "none"`).
pub(crate) struct Attr<T> {
    key: &'static str,
    value: Option<(Span, T)>,
}

impl<T> Attr<T> {
    fn none(key: &'static str) -> Self {
        Self { key, value: None }
    }

    /// The one place duplicates are caught: the second occurrence is the error.
    fn set(&mut self, cx: &Ctxt, meta: &ParseNestedMeta, span: Span, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(
                &meta.path,
                format!("duplicate session attribute `{}`", self.key),
            );
        } else {
            self.value = Some((span, value));
        }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, value)| value)
    }

    pub(crate) fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(span, _)| *span)
    }
}

/// `same_site = "..."`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SameSite {
    Strict,
    Lax,
    None,
}

/// `on_conflict = "..."`: what a save does when a concurrent one changed the same field.
#[derive(Clone, Copy)]
pub(crate) enum OnConflict {
    LastWriteWins,
    Error,
}

/// The container attributes, each `None` when the user did not write it: defaults live
/// in the runtime, so the generated `CONFIG` only calls the builders the user asked for.
pub(crate) struct Container {
    pub(crate) name: Attr<String>,
    pub(crate) max_age: Attr<u64>,
    pub(crate) idle_timeout: Attr<u64>,
    pub(crate) absolute_timeout: Attr<u64>,
    pub(crate) persistent: Attr<bool>,
    pub(crate) path: Attr<String>,
    pub(crate) domain: Attr<String>,
    pub(crate) secure: Attr<bool>,
    pub(crate) http_only: Attr<bool>,
    pub(crate) same_site: Attr<SameSite>,
    pub(crate) partitioned: Attr<bool>,
    pub(crate) store: Attr<String>,
    pub(crate) on_conflict: Attr<OnConflict>,
    pub(crate) max_per_owner: Attr<u32>,
}

impl Container {
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut container = Self {
            name: Attr::none("name"),
            max_age: Attr::none("max_age"),
            idle_timeout: Attr::none("idle_timeout"),
            absolute_timeout: Attr::none("absolute_timeout"),
            persistent: Attr::none("persistent"),
            path: Attr::none("path"),
            domain: Attr::none("domain"),
            secure: Attr::none("secure"),
            http_only: Attr::none("http_only"),
            same_site: Attr::none("same_site"),
            partitioned: Attr::none("partitioned"),
            store: Attr::none("store"),
            on_conflict: Attr::none("on_conflict"),
            max_per_owner: Attr::none("max_per_owner"),
        };
        for attr in session_attrs(attrs) {
            let parsed = attr.parse_nested_meta(|meta| container.parse_key(cx, &meta));
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        container
    }

    /// Parses one `key = value` (or the `partitioned` flag). Returns `Err` only for
    /// syntax errors, after which syn cannot find the next key anyway.
    fn parse_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "name" => parse_string(cx, meta, &mut self.name, name::check_cookie_name),
            "max_age" => parse_seconds(cx, meta, &mut self.max_age),
            "idle_timeout" => parse_seconds(cx, meta, &mut self.idle_timeout),
            "absolute_timeout" => parse_seconds(cx, meta, &mut self.absolute_timeout),
            "persistent" => parse_bool(cx, meta, &mut self.persistent),
            "path" => parse_string(cx, meta, &mut self.path, name::check_path),
            "domain" => parse_string(cx, meta, &mut self.domain, name::check_domain),
            "secure" => parse_bool(cx, meta, &mut self.secure),
            "http_only" => parse_bool(cx, meta, &mut self.http_only),
            "same_site" => parse_same_site(cx, meta, &mut self.same_site),
            "partitioned" if !meta.input.peek(Token![=]) => {
                self.partitioned.set(cx, meta, meta.path.span(), true);
                reject_arguments(cx, meta, "partitioned")
            }
            "partitioned" => parse_bool(cx, meta, &mut self.partitioned),
            "store" => parse_string(cx, meta, &mut self.store, check_store),
            "on_conflict" => parse_on_conflict(cx, meta, &mut self.on_conflict),
            "max_per_owner" => parse_count(cx, meta, &mut self.max_per_owner),
            "flash" | "skip" | "readonly" | "owner" => {
                let msg = format!("`{key}` is a field attribute, put it on a field");
                unknown_key(cx, meta, &msg)
            }
            _ => {
                let key = path_to_string(&meta.path);
                let msg =
                    format!("unknown session attribute `{key}`, expected one of {CONTAINER_KEYS}");
                unknown_key(cx, meta, &msg)
            }
        }
    }
}

/// What the derive generates for one field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Getter and setter.
    Plain,
    /// `#[session(flash)]`: typed by the field's type in `ast.rs`.
    Flash,
    /// `#[session(skip)]`: nothing.
    Skip,
    /// `#[session(readonly)]`: getter only.
    Readonly,
}

impl FieldKind {
    fn keyword(self) -> &'static str {
        match self {
            Self::Plain => "",
            Self::Flash => "flash",
            Self::Skip => "skip",
            Self::Readonly => "readonly",
        }
    }
}

/// The `#[session(...)]` attributes of one field: what it generates, and whether it is
/// the session's owner (`owner`, which goes with `readonly` or with nothing else).
pub(crate) struct FieldAttrs {
    pub(crate) kind: FieldKind,
    /// The span of the `owner` key, which the one-owner rule points at.
    pub(crate) owner: Option<Span>,
}

impl FieldAttrs {
    /// Parses the `#[session(...)]` attributes of one field. The field keeps the first
    /// kind written; a second one is a duplicate or a conflict, reported where it was
    /// written.
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut field = Self {
            kind: FieldKind::Plain,
            owner: None,
        };
        for attr in session_attrs(attrs) {
            let parsed = attr.parse_nested_meta(|meta| field.parse_key(cx, &meta));
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        field
    }

    fn parse_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let new = match key.as_str() {
            "flash" => FieldKind::Flash,
            "skip" => FieldKind::Skip,
            "readonly" => FieldKind::Readonly,
            "owner" => {
                self.set_owner(cx, meta);
                return reject_arguments(cx, meta, &key);
            }
            _ => return unknown_field_key(cx, meta, &key),
        };
        if self.kind == new {
            cx.error_spanned_by(&meta.path, format!("duplicate field attribute `{key}`"));
        } else if let (Some(why), Some(_)) = (owner_conflict(new), self.owner) {
            let msg = format!("`{key}` conflicts with `owner` on the same field: {why}");
            cx.error_spanned_by(&meta.path, msg);
        } else if self.kind == FieldKind::Plain {
            self.kind = new;
        } else {
            let first = self.kind.keyword();
            let msg =
                format!("`{key}` conflicts with `{first}` on the same field, keep one of them");
            cx.error_spanned_by(&meta.path, msg);
        }
        reject_arguments(cx, meta, &key)
    }

    fn set_owner(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) {
        if self.owner.is_some() {
            cx.error_spanned_by(&meta.path, "duplicate field attribute `owner`");
        } else if let Some(why) = owner_conflict(self.kind) {
            let first = self.kind.keyword();
            let msg = format!("`owner` conflicts with `{first}` on the same field: {why}");
            cx.error_spanned_by(&meta.path, msg);
        } else {
            self.owner = Some(meta.path.span());
        }
    }
}

/// Why a field of this kind cannot be the owner, if it cannot.
fn owner_conflict(kind: FieldKind) -> Option<&'static str> {
    match kind {
        FieldKind::Flash => {
            Some("a flash is taken away when it is read, and the session would lose its owner")
        }
        // A skipped field is still serialized: the reason is what the derive generates.
        FieldKind::Skip => Some(
            "`skip` generates nothing for the field, `owner` generates the session's \
             `owner()` from it; for an owner without a setter, use `readonly`",
        ),
        FieldKind::Plain | FieldKind::Readonly => None,
    }
}

fn unknown_field_key(cx: &Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    let msg = if CONTAINER_KEYS.contains(&format!("`{key}`")) {
        format!("`{key}` is a container attribute, put it on the struct")
    } else {
        let key = path_to_string(&meta.path);
        format!("unknown field attribute `{key}`, expected {FIELD_KEYS}")
    };
    unknown_key(cx, meta, &msg)
}

fn session_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("session"))
}

fn path_to_string(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

/// Reports `msg` on the key and skips its value, so the next key is still parsed.
fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta, msg: &str) -> syn::Result<()> {
    cx.error_spanned_by(&meta.path, msg);
    skip_value(meta)
}

/// A flag takes neither `= value` nor `(...)`.
fn reject_arguments(cx: &Ctxt, meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, format!("expected `{key}` without a value"));
    }
    skip_value(meta)
}

fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|nested| skip_value(&nested))?;
    }
    Ok(())
}

/// Parses the `= expr` of a key that needs a value; `None` (with an error on the key)
/// when the user wrote the key alone.
fn value_of(cx: &Ctxt, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<Expr>> {
    if !meta.input.peek(Token![=]) {
        let key = path_to_string(&meta.path);
        cx.error_spanned_by(&meta.path, format!("expected `{key} = {example}`"));
        skip_value(meta)?;
        return Ok(None);
    }
    let mut expr = meta.value()?.parse::<Expr>()?;
    // Attributes written by a `macro_rules!` arrive in invisible groups.
    while let Expr::Group(group) = expr {
        expr = *group.expr;
    }
    Ok(Some(expr))
}

fn parse_string(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    attr: &mut Attr<String>,
    check: fn(&str) -> Result<(), String>,
) -> syn::Result<()> {
    let Some(expr) = value_of(cx, meta, "\"...\"")? else {
        return Ok(());
    };
    let Some(lit) = lit_str(&expr) else {
        cx.error_spanned_by(
            &expr,
            format!("expected a string literal for `{}`", attr.key),
        );
        return Ok(());
    };
    let value = lit.value();
    match check(&value) {
        Ok(()) => attr.set(cx, meta, lit.span(), value),
        Err(msg) => cx.error_spanned_by(lit, msg),
    }
    Ok(())
}

fn lit_str(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        _ => None,
    }
}

fn check_store(store: &str) -> Result<(), String> {
    if store.is_empty() {
        return Err("expected a non-empty store name for `store`".to_owned());
    }
    Ok(())
}

fn parse_bool(cx: &Ctxt, meta: &ParseNestedMeta, attr: &mut Attr<bool>) -> syn::Result<()> {
    let Some(expr) = value_of(cx, meta, "true")? else {
        return Ok(());
    };
    if let Expr::Lit(syn::ExprLit {
        lit: Lit::Bool(lit),
        ..
    }) = &expr
    {
        attr.set(cx, meta, lit.span, lit.value);
    } else {
        let msg = format!("expected `true` or `false` for `{}`", attr.key);
        cx.error_spanned_by(&expr, msg);
    }
    Ok(())
}

fn parse_same_site(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    attr: &mut Attr<SameSite>,
) -> syn::Result<()> {
    let Some(expr) = value_of(cx, meta, "\"lax\"")? else {
        return Ok(());
    };
    let value = lit_str(&expr).and_then(|lit| match lit.value().as_str() {
        "strict" => Some(SameSite::Strict),
        "lax" => Some(SameSite::Lax),
        "none" => Some(SameSite::None),
        _ => None,
    });
    match value {
        Some(value) => attr.set(cx, meta, expr.span(), value),
        None => cx.error_spanned_by(
            &expr,
            "expected \"lax\", \"strict\" or \"none\" for `same_site`",
        ),
    }
    Ok(())
}

fn parse_on_conflict(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    attr: &mut Attr<OnConflict>,
) -> syn::Result<()> {
    let Some(expr) = value_of(cx, meta, "\"error\"")? else {
        return Ok(());
    };
    let value = lit_str(&expr).and_then(|lit| match lit.value().as_str() {
        "error" => Some(OnConflict::Error),
        "last_write_wins" => Some(OnConflict::LastWriteWins),
        _ => None,
    });
    match value {
        Some(value) => attr.set(cx, meta, expr.span(), value),
        None => cx.error_spanned_by(
            &expr,
            "expected \"error\" or \"last_write_wins\" for `on_conflict`",
        ),
    }
    Ok(())
}

/// Parses positive integer seconds: `604800` or `604800u64`.
fn parse_seconds(cx: &Ctxt, meta: &ParseNestedMeta, attr: &mut Attr<u64>) -> syn::Result<()> {
    let Some(expr) = value_of(cx, meta, "<seconds>")? else {
        return Ok(());
    };
    let key = attr.key;
    let lit = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit,
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            let msg = format!(
                "expected a positive number of seconds for `{key}`, found a negative number"
            );
            cx.error_spanned_by(&expr, msg);
            return Ok(());
        }
        _ => {
            cx.error_spanned_by(&expr, format!("expected integer seconds for `{key}`"));
            return Ok(());
        }
    };
    if !matches!(lit.suffix(), "" | "u64") {
        let msg = format!("expected integer seconds for `{key}`, without a suffix or with `u64`");
        cx.error_spanned_by(lit, msg);
        return Ok(());
    }
    let (max, why) = max_seconds(key);
    match lit.base10_parse::<u64>() {
        Ok(0) => cx.error_spanned_by(
            lit,
            format!("expected a positive number of seconds for `{key}`, found 0"),
        ),
        Ok(seconds) if seconds <= max => attr.set(cx, meta, lit.span(), seconds),
        Ok(_) | Err(_) => cx.error_spanned_by(
            lit,
            format!("expected at most {max} seconds for `{key}` ({why})"),
        ),
    }
    Ok(())
}

/// A positive `u32` literal: how many sessions one owner keeps.
fn parse_count(cx: &Ctxt, meta: &ParseNestedMeta, attr: &mut Attr<u32>) -> syn::Result<()> {
    let Some(expr) = value_of(cx, meta, "<count>")? else {
        return Ok(());
    };
    let key = attr.key;
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Int(lit), ..
    }) = &expr
    else {
        cx.error_spanned_by(&expr, format!("expected a positive integer for `{key}`"));
        return Ok(());
    };
    if !matches!(lit.suffix(), "" | "u32") {
        let msg = format!("expected an integer for `{key}`, without a suffix or with `u32`");
        cx.error_spanned_by(lit, msg);
        return Ok(());
    }
    match lit.base10_parse::<u32>() {
        Ok(0) => cx.error_spanned_by(
            lit,
            format!("expected at least 1 for `{key}`: an owner with no session cannot log in"),
        ),
        Ok(count) => attr.set(cx, meta, lit.span(), count),
        Err(_) => cx.error_spanned_by(lit, format!("expected at most {} for `{key}`", u32::MAX)),
    }
    Ok(())
}

/// The bounds of `sessions::SessionConfig::check`, which the runtime applies
/// to configurations built by hand: `max_age` at most 400 days (browsers cap
/// cookie lifetimes there), timeouts at most 100 years.
fn max_seconds(key: &str) -> (u64, &'static str) {
    const DAY: u64 = 86_400;
    if key == "max_age" {
        (400 * DAY, "400 days, where browsers cap cookie lifetimes")
    } else {
        (36_525 * DAY, "100 years")
    }
}
