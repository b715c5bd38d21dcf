//! The derive's model of the user's struct, built from syn's `DeriveInput`.
//!
//! Building it never fails: a shape the derive cannot handle (an enum, a tuple struct,
//! generics) is recorded in the [`Ctxt`] and the model keeps what it could read, so the
//! fallback can still emit a usable stub.

use std::collections::HashMap;

use proc_macro2::Span;
use quote::format_ident;
use syn::ext::IdentExt;
use syn::{
    Attribute, Data, DeriveInput, Fields, GenericArgument, Generics, Ident, PathArguments, Type,
    Visibility,
};

use crate::attr::{Container, FieldAttrs, FieldKind};
use crate::ctxt::Ctxt;
use crate::{name, wire};

/// The struct the user derives `Session` on.
pub(crate) struct Input<'a> {
    /// `User`.
    pub(crate) ident: &'a Ident,
    /// `UserSession`.
    pub(crate) session: Ident,
    pub(crate) vis: &'a Visibility,
    /// Empty once valid; kept so the fallback stub can mirror the user's parameters.
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: Container,
    /// The `name` attribute, or the `snake_case` default.
    pub(crate) cookie_name: String,
    /// Named fields only; empty for the shapes that are rejected.
    pub(crate) fields: Vec<Field<'a>>,
    /// A union can never be serialized by serde, so the fallback must not assume
    /// `SessionData` for it.
    pub(crate) is_union: bool,
}

/// One named field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) ty: &'a Type,
    pub(crate) kind: Kind<'a>,
    /// `#[session(owner)]`, with the span of `owner`: `SessionData::owner` reads this
    /// field.
    pub(crate) owner: Option<Span>,
    /// `#[cfg]`s, repeated on the accessors so a cfg'd-out field takes them along.
    pub(crate) cfgs: Vec<&'a Attribute>,
    /// The field's doc comment, appended to its getter's.
    pub(crate) docs: Vec<&'a Attribute>,
    /// The key serde writes the field under (`#[serde(rename)]`,
    /// `rename_all` applied).
    pub(crate) wire_name: String,
}

/// What the field's attributes and type ask for.
pub(crate) enum Kind<'a> {
    Plain,
    Readonly,
    Skip,
    /// `#[session(flash)]` on `Vec<U>`, with `U`.
    FlashVec(&'a Type),
    /// `#[session(flash)]` on `Option<U>`, with `U`.
    FlashOption(&'a Type),
    /// `#[session(flash)]` on any other type (an error already reported).
    FlashInvalid,
}

/// One generated method of a field.
pub(crate) struct Accessor<'a> {
    pub(crate) field: &'a Field<'a>,
    /// The method name: the field's own identifier (raw or not) for the getter, a
    /// prefixed unraw identifier otherwise (`r#type` gives `set_type`).
    pub(crate) name: Ident,
    pub(crate) role: Role<'a>,
}

/// The job of an [`Accessor`].
pub(crate) enum Role<'a> {
    /// `x(&self) -> T`.
    Get,
    /// `set_x(&self, T)`.
    Set,
    /// `push_x(&self, U)` for a `Vec<U>` flash; `None` when the flash type is invalid.
    Push(Option<&'a Type>),
    /// `set_x(&self, U)` for an `Option<U>` flash; `None` when the flash type is invalid.
    SetSome(Option<&'a Type>),
    /// `take_x(&self) -> Vec<U>` or `-> Option<U>`.
    Take,
}

impl<'a> Input<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = Container::from_attrs(cx, &input.attrs);
        check_generics(cx, &input.generics);
        let unraw = input.ident.unraw().to_string();
        let cookie_name = match attrs.name.get() {
            Some(name) => name.clone(),
            None => name::snake_case(&unraw),
        };
        Self {
            ident: &input.ident,
            session: format_ident!("{}Session", unraw, span = input.ident.span()),
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            cookie_name,
            fields: fields(cx, input),
            is_union: matches!(input.data, Data::Union(_)),
        }
    }

    /// The `#[session(owner)]` field: the first one, when there are several (an error).
    pub(crate) fn owner(&self) -> Option<&Field<'a>> {
        self.fields.iter().find(|field| field.owner.is_some())
    }

    /// Every accessor of every field, in field order.
    pub(crate) fn accessors(&self) -> Vec<Accessor<'_>> {
        self.fields.iter().flat_map(Field::accessors).collect()
    }
}

fn check_generics(cx: &Ctxt, generics: &Generics) {
    if !generics.params.is_empty() {
        // The session type and `SessionData` need one concrete type with a `'static`
        // cookie name and config; a generic struct would need one per instantiation.
        cx.error_spanned_by(
            &generics.params,
            "expected a struct without generic parameters, a session has one concrete data type",
        );
    }
}

fn fields<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<Field<'a>> {
    const EXPECTED: &str = "expected a struct with named fields";
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named,
            Fields::Unnamed(fields) => {
                cx.error_spanned_by(fields, format!("{EXPECTED}, found a tuple struct"));
                return Vec::new();
            }
            Fields::Unit => {
                cx.error_spanned_by(&input.ident, format!("{EXPECTED}, found a unit struct"));
                return Vec::new();
            }
        },
        Data::Enum(data) => {
            cx.error_spanned_by(data.enum_token, format!("{EXPECTED}, found an enum"));
            return Vec::new();
        }
        Data::Union(data) => {
            cx.error_spanned_by(data.union_token, format!("{EXPECTED}, found a union"));
            return Vec::new();
        }
    };
    let mut wire_names = wire::serialized_names(input);
    named
        .named
        .iter()
        .map(|field| Field::from_syn(cx, field, &mut wire_names))
        .collect()
}

impl<'a> Field<'a> {
    fn from_syn(
        cx: &Ctxt,
        field: &'a syn::Field,
        wire_names: &mut HashMap<String, String>,
    ) -> Self {
        let ident = field
            .ident
            .as_ref()
            .expect("fields() only passes named fields");
        let unraw = ident.unraw().to_string();
        let wire_name = wire_names.remove(&unraw).unwrap_or(unraw);
        let attrs = FieldAttrs::from_attrs(cx, &field.attrs);
        let kind = match attrs.kind {
            FieldKind::Plain => Kind::Plain,
            FieldKind::Readonly => Kind::Readonly,
            FieldKind::Skip => Kind::Skip,
            FieldKind::Flash => flash_kind(cx, &field.ty),
        };
        Self {
            ident,
            vis: &field.vis,
            ty: &field.ty,
            kind,
            owner: attrs.owner,
            cfgs: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("cfg"))
                .collect(),
            docs: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .collect(),
            wire_name,
        }
    }

    /// The field name without `r#`, as serde writes it on the wire.
    pub(crate) fn unraw(&self) -> String {
        self.ident.unraw().to_string()
    }

    fn accessors(&self) -> Vec<Accessor<'_>> {
        let prefixed = |prefix: &str| {
            format_ident!("{prefix}_{}", self.ident.unraw(), span = self.ident.span())
        };
        let accessor = |name: Ident, role: Role<'a>| Accessor {
            field: self,
            name,
            role,
        };
        match self.kind {
            Kind::Plain => vec![
                accessor(self.ident.clone(), Role::Get),
                accessor(prefixed("set"), Role::Set),
            ],
            Kind::Readonly => vec![accessor(self.ident.clone(), Role::Get)],
            Kind::Skip => Vec::new(),
            Kind::FlashVec(item) => vec![
                accessor(prefixed("push"), Role::Push(Some(item))),
                accessor(prefixed("take"), Role::Take),
            ],
            Kind::FlashOption(item) => vec![
                accessor(prefixed("set"), Role::SetSome(Some(item))),
                accessor(prefixed("take"), Role::Take),
            ],
            // Both shapes, so that user code written against either compiles in the stub.
            Kind::FlashInvalid => vec![
                accessor(prefixed("push"), Role::Push(None)),
                accessor(prefixed("set"), Role::SetSome(None)),
                accessor(prefixed("take"), Role::Take),
            ],
        }
    }
}

/// Types a flash field: `Vec<U>` and `Option<U>`, recognised by the last path segment so
/// `std::vec::Vec<U>` works too. A user type that only shares the name fails later, on
/// the runtime's `Flash` bound, with the error spanned on the field's type.
fn flash_kind<'a>(cx: &Ctxt, ty: &'a Type) -> Kind<'a> {
    let found = single_type_argument(ty).and_then(|(container, item)| match container.as_str() {
        "Vec" => Some(Kind::FlashVec(item)),
        "Option" => Some(Kind::FlashOption(item)),
        _ => None,
    });
    found.unwrap_or_else(|| {
        cx.error_spanned_by(
            ty,
            "expected `Vec<_>` or `Option<_>` for a `#[session(flash)]` field",
        );
        Kind::FlashInvalid
    })
}

/// `Name<Item>` (after any parentheses or invisible groups) as `("Name", Item)`.
fn single_type_argument(ty: &Type) -> Option<(String, &Type)> {
    let path = match ty {
        Type::Group(group) => return single_type_argument(&group.elem),
        Type::Paren(paren) => return single_type_argument(&paren.elem),
        Type::Path(path) if path.qself.is_none() => &path.path,
        _ => return None,
    };
    let last = path.segments.last()?;
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let mut arguments = arguments.args.iter();
    match (arguments.next(), arguments.next()) {
        (Some(GenericArgument::Type(item)), None) => Some((last.ident.to_string(), item)),
        _ => None,
    }
}

impl Input<'_> {
    /// Where errors about the struct as a whole point: its name.
    pub(crate) fn span(&self) -> Span {
        self.ident.span()
    }

    /// Whether the fallback must mirror generic parameters (the valid path has none).
    pub(crate) fn is_generic(&self) -> bool {
        !self.generics.params.is_empty()
    }
}
