//! The names serde writes the fields under, read with serde's own
//! attribute parser (`serde_derive_internals`), so that `rename`,
//! `rename_all` and raw identifiers come out exactly as
//! `#[derive(Serialize)]` applies them.
//!
//! The runtime merges concurrent saves key by key in the encoded session
//! and treats flash fields apart (their messages are merged one by one),
//! so it must know the flash fields by the keys serde writes.

use std::collections::HashMap;

use serde_derive_internals::{Ctxt, Derive, ast};
use syn::ext::IdentExt;
use syn::{DeriveInput, Member};

/// Each named field's serialized name, keyed by its identifier without
/// `r#`. Empty when serde could not read the struct; `Field::wire_name`
/// then falls back to the identifier.
pub(crate) fn serialized_names(input: &DeriveInput) -> HashMap<String, String> {
    let cx = Ctxt::new();
    let names = match ast::Container::from_ast(&cx, input, Derive::Serialize) {
        Some(ast::Container {
            data: ast::Data::Struct(_, fields),
            ..
        }) => fields
            .iter()
            .filter_map(|field| match &field.member {
                Member::Named(ident) => Some((
                    ident.unraw().to_string(),
                    field.attrs.name().serialize_name().to_owned(),
                )),
                Member::Unnamed(_) => None,
            })
            .collect(),
        _ => HashMap::new(),
    };
    // serde's own derive reports malformed serde attributes on the user's
    // tokens; reporting them here as well would only say it twice.
    drop(cx.check());
    names
}
