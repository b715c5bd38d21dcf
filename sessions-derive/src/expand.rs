//! Code generation, and the pipeline that leads to it.
//!
//! Hygiene rules for everything below:
//!
//! - every path is absolute (`::core::...`, `::sessions::...`) and every trait method is
//!   called through its trait, so user items named `Option` or `Result`, or a module
//!   without the prelude, cannot capture or break it;
//! - every name the expansion introduces starts with `__Sessions` (generic parameters:
//!   `__SessionsBody`, `__SessionsData`, `__SessionsOutput`) or `__sessions_` (helper
//!   functions, parameters, closure parameters). A user type named `B` or `T` would be
//!   shadowed by a generic parameter of that name, and a unit struct, constant or static
//!   named `value` or `data` turns a binding of that name into a pattern or an error:
//!   `Span::mixed_site()` does not help there, as it resolves items at the call site;
//! - every item but the session type sits inside `const _: () = { ... };`;
//! - every public item has a doc so user crates under `#![deny(missing_docs)]` compile.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{DeriveInput, Generics};

use crate::ast::{Accessor, Input, Kind, Role};
use crate::attr::{OnConflict, SameSite};
use crate::ctxt::Ctxt;
use crate::{fallback, valid};

/// Runs the pipeline: model, validation, then the expansion or, on any error, the
/// fallback (errors plus a stub).
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = Input::from_syn(&cx, input);
    let accessors = valid::check(&cx, &model);
    match cx.check() {
        Ok(()) => expand(&model, &accessors),
        Err(errors) => fallback::expand(&model, &accessors, &errors),
    }
}

/// Method bodies: the real ones, or panicking stubs when the fallback only needs the
/// signatures to exist (so a missing `Clone` on a field type cannot add a second error).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bodies {
    Real,
    /// Stub accessors; `load` still delegates, as the data type is a `SessionData`.
    Stub,
    /// Stub accessors and a `load` that needs no `SessionData` impl either.
    StubWithoutData,
}

fn expand(input: &Input, accessors: &[Accessor]) -> TokenStream {
    let generics = input.generics;
    let session_struct = session_struct(input, generics);
    let data_impl = data_impl(input, &config(input), &owner_fn(input));
    let trait_impls = trait_impls(input, generics);
    let inherent_impl = inherent_impl(input, generics, accessors, Bodies::Real);
    let helpers = helpers(accessors);
    let glue = glue(input);
    quote! {
        #session_struct
        const _: () = {
            #data_impl
            #trait_impls
            #inherent_impl
            #helpers
            #glue
        };
    }
}

/// `__sessions_with` and `__sessions_update`, each only if an accessor uses it (they are
/// not in an `#[automatically_derived]` impl, so an unused one would be dead code).
///
/// They bound the data by `SessionData` alone. `Handle::with` and `Handle::update` bound
/// it by the trait's supertraits (`Default`, `Serialize`, ...), so a struct that misses
/// one would get an error per accessor on top of the one on its `SessionData` impl;
/// through these, that impl (even ill-formed) satisfies every call and the user reads one
/// error.
fn helpers(accessors: &[Accessor]) -> TokenStream {
    let reads = accessors.iter().any(|a| matches!(a.role, Role::Get));
    let writes = accessors
        .iter()
        .any(|a| matches!(a.role, Role::Set | Role::Push(_) | Role::SetSome(_)));
    let with = reads.then(|| {
        quote! {
            #[inline]
            fn __sessions_with<__SessionsData, __SessionsOutput>(
                __sessions_handle: &::sessions::Handle<__SessionsData>,
                __sessions_read: impl ::core::ops::FnOnce(&__SessionsData) -> __SessionsOutput,
            ) -> __SessionsOutput
            where
                __SessionsData: ::sessions::SessionData,
            {
                ::sessions::Handle::with(__sessions_handle, __sessions_read)
            }
        }
    });
    let update = writes.then(|| {
        quote! {
            #[inline]
            fn __sessions_update<__SessionsData, __SessionsOutput>(
                __sessions_handle: &::sessions::Handle<__SessionsData>,
                __sessions_change: impl ::core::ops::FnOnce(
                    &mut __SessionsData,
                ) -> __SessionsOutput,
            ) -> __SessionsOutput
            where
                __SessionsData: ::sessions::SessionData,
            {
                ::sessions::Handle::update(__sessions_handle, __sessions_change)
            }
        }
    });
    quote!(#with #update)
}

/// `pub struct UserSession(::sessions::Handle<User>);`
pub(crate) fn session_struct(input: &Input, generics: &Generics) -> TokenStream {
    let Input {
        ident,
        session,
        vis,
        ..
    } = input;
    let (_, ty_generics, where_clause) = generics.split_for_impl();
    let doc = format!(
        "The typed session of [`{ident}`], stored in the `{name}` cookie; generated by \
         `#[derive(Session)]`.\n\nGet one with [`{session}::load`] or \
         [`{session}::load_parts`]. It has accessors for the fields of `{ident}` and \
         dereferences to `sessions::Handle<{ident}>` for `save`, `destroy`, `renew`, \
         `set_persistent` and whole-value access (`get`, `update`, `replace`).",
        name = input.cookie_name,
    );
    quote! {
        #[doc = #doc]
        #vis struct #session #generics (::sessions::Handle<#ident #ty_generics>) #where_clause;
    }
}

/// The builder calls of `SessionData::CONFIG`, only for the attributes the user wrote.
fn config(input: &Input) -> TokenStream {
    let attrs = &input.attrs;
    let seconds =
        |value: Option<&u64>| value.map(|secs| quote!(::core::time::Duration::from_secs(#secs)));
    let literal = |value: Option<&String>| value.map(|value| quote!(#value));
    let boolean = |value: Option<&bool>| value.map(|value| quote!(#value));
    let on_conflict = attrs.on_conflict.get().map(|value| match value {
        OnConflict::LastWriteWins => quote!(::sessions::OnConflict::LastWriteWins),
        OnConflict::Error => quote!(::sessions::OnConflict::Error),
    });
    // Checked positive by the parser; `unwrap` of a `NonZeroU32` is const.
    let max_per_owner = attrs
        .max_per_owner
        .get()
        .map(|count| quote!(::core::option::Option::unwrap(::core::num::NonZeroU32::new(#count))));
    let same_site = attrs.same_site.get().map(|value| match value {
        SameSite::Strict => quote!(::sessions::SameSite::Strict),
        SameSite::Lax => quote!(::sessions::SameSite::Lax),
        SameSite::None => quote!(::sessions::SameSite::None),
    });
    let calls = [
        (quote!(with_max_age), seconds(attrs.max_age.get())),
        (quote!(with_idle_timeout), seconds(attrs.idle_timeout.get())),
        (
            quote!(with_absolute_timeout),
            seconds(attrs.absolute_timeout.get()),
        ),
        (quote!(with_persistent), boolean(attrs.persistent.get())),
        (quote!(with_path), literal(attrs.path.get())),
        (quote!(with_domain), literal(attrs.domain.get())),
        (quote!(with_secure), boolean(attrs.secure.get())),
        (quote!(with_http_only), boolean(attrs.http_only.get())),
        (quote!(with_same_site), same_site),
        (quote!(with_partitioned), boolean(attrs.partitioned.get())),
        (quote!(with_store), literal(attrs.store.get())),
        (quote!(with_on_conflict), on_conflict),
        (quote!(with_max_per_owner), max_per_owner),
    ];
    let calls = calls
        .into_iter()
        .filter_map(|(method, arg)| arg.map(|arg| quote!(.#method(#arg))));
    quote!(#(#calls)*)
}

/// `SessionData::owner` from the `#[session(owner)]` field, if there is one, under the
/// field's `#[cfg]`s (a field that is cfg'd out leaves the default, no owner). The
/// `SessionOwner` bound is on the field's type, spanned there, so the trait's message
/// lands where the fix goes.
fn owner_fn(input: &Input) -> TokenStream {
    let Some(field) = input.owner() else {
        return TokenStream::new();
    };
    let (ident, ty, cfgs) = (field.ident, field.ty, &field.cfgs);
    let span = syn::spanned::Spanned::span(ty);
    let owner_text = quote_spanned!(span=> <#ty as ::sessions::SessionOwner>::owner_text);
    quote! {
        #(#cfgs)*
        #[inline]
        fn owner(&self) -> ::core::option::Option<::std::string::String> {
            #owner_text(&self.#ident)
        }
    }
}

/// `impl SessionData for User`, with the builder `calls` after `SessionConfig::new(name)`
/// and the `owner` method, if any.
pub(crate) fn data_impl(input: &Input, calls: &TokenStream, owner: &TokenStream) -> TokenStream {
    let Input {
        ident,
        cookie_name,
        fields,
        ..
    } = input;
    // Serde's names for the fields, as they are merged on the wire.
    let flashes = fields
        .iter()
        .filter(|field| matches!(field.kind, Kind::FlashVec(_) | Kind::FlashOption(_)))
        .map(|field| &field.wire_name);
    quote! {
        #[automatically_derived]
        impl ::sessions::SessionData for #ident {
            const CONFIG: ::sessions::SessionConfig =
                ::sessions::SessionConfig::new(#cookie_name) #calls;
            const FLASH_FIELDS: &'static [&'static str] = &[#(#flashes),*];
            #owner
        }
    }
}

/// `From<Handle<User>>`, `Deref<Target = Handle<User>>`, `Clone` and `Debug`.
pub(crate) fn trait_impls(input: &Input, generics: &Generics) -> TokenStream {
    let Input { ident, session, .. } = input;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let handle = quote!(::sessions::Handle<#ident #ty_generics>);
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::convert::From<#handle> for #session #ty_generics #where_clause {
            #[inline]
            fn from(__sessions_handle: #handle) -> Self {
                Self(__sessions_handle)
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::ops::Deref for #session #ty_generics #where_clause {
            type Target = #handle;

            #[inline]
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::clone::Clone for #session #ty_generics #where_clause {
            #[inline]
            fn clone(&self) -> Self {
                Self(::core::clone::Clone::clone(&self.0))
            }
        }

        // The handle's `Debug` shows the session's metadata, never its data.
        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #session #ty_generics #where_clause {
            fn fmt(&self, __sessions_f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(&self.0, __sessions_f)
            }
        }
    }
}

/// `::sessions::__session_glue!(UserSession, User);`: framework glue (extractors)
/// that the runtime's features decide on, so the derive needs no features of its own.
pub(crate) fn glue(input: &Input) -> TokenStream {
    let Input { ident, session, .. } = input;
    quote!(::sessions::__session_glue!(#session, #ident);)
}

/// The inherent impl: `load`, `load_parts` and the field accessors.
pub(crate) fn inherent_impl(
    input: &Input,
    generics: &Generics,
    accessors: &[Accessor],
    bodies: Bodies,
) -> TokenStream {
    let Input {
        ident,
        session,
        vis,
        ..
    } = input;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let data = quote!(#ident #ty_generics);
    let (load_doc, load_parts_doc) = load_docs(input);
    let (load, load_parts) = if bodies == Bodies::StubWithoutData {
        let pending = quote!(::core::future::pending::<::sessions::Result<Self>>());
        (pending.clone(), pending)
    } else {
        (
            quote!(::sessions::__private::load::<#data, Self, __SessionsBody>(__sessions_request)),
            quote!(::sessions::__private::load_parts::<#data, Self>(__sessions_parts)),
        )
    };
    let accessors = accessors
        .iter()
        .map(|accessor| accessor_fn(accessor, bodies));
    quote! {
        #[automatically_derived]
        impl #impl_generics #session #ty_generics #where_clause {
            #[doc = #load_doc]
            #vis fn load<__SessionsBody>(
                __sessions_request: &::sessions::__private::http::Request<__SessionsBody>,
            ) -> impl ::core::future::Future<Output = ::sessions::Result<Self>>
                   + ::core::marker::Send + 'static {
                #load
            }

            #[doc = #load_parts_doc]
            #vis fn load_parts(
                __sessions_parts: &::sessions::__private::http::request::Parts,
            ) -> impl ::core::future::Future<Output = ::sessions::Result<Self>>
                   + ::core::marker::Send + 'static {
                #load_parts
            }

            #(#accessors)*
        }
    }
}

/// The docs of `load` and `load_parts`.
fn load_docs(input: &Input) -> (String, String) {
    let (name, session) = (&input.cookie_name, &input.session);
    let load = format!(
        "Loads this request's `{name}` session: the state already loaded during this \
         request if any, else the one its cookie carries, else a new session.\n\n\
         The future owns what it needs from the request: it is `Send` and `'static` \
         whatever the body type.\n\n\
         # Errors\n\n\
         Fails when no session registry is attached to the request or when the store \
         fails. A missing, tampered or expired cookie is not an error: it gives a new \
         session."
    );
    let load_parts = format!(
        "Loads the `{name}` session from request parts, like [`{session}::load`].\n\n\
         # Errors\n\n\
         As [`{session}::load`]."
    );
    (load, load_parts)
}

/// One accessor method, with the field's visibility and `#[cfg]`s.
fn accessor_fn(accessor: &Accessor, bodies: Bodies) -> TokenStream {
    let Accessor { field, role, .. } = accessor;
    let cfgs = &field.cfgs;
    let (doc, signature) = doc_and_signature(accessor);
    let body = match bodies {
        Bodies::Real => accessor_body(role, field.ident, field.ty),
        // The stub ignores its `__sessions_value`: a `_` name, so no unused warning.
        Bodies::Stub | Bodies::StubWithoutData => quote!(::core::unimplemented!()),
    };
    quote! {
        #(#cfgs)*
        #doc
        #[inline]
        #signature {
            #body
        }
    }
}

/// The doc attributes and the signature of an accessor.
fn doc_and_signature(accessor: &Accessor) -> (TokenStream, TokenStream) {
    let Accessor { field, name, role } = accessor;
    let (vis, ty, wire) = (field.vis, field.ty, field.unraw());
    // `None` for an invalid flash type: the fallback's stub takes anything.
    let item = |item: Option<&syn::Type>| {
        item.map_or_else(|| quote!(impl ::core::marker::Sized), |item| quote!(#item))
    };
    match role {
        Role::Get => {
            let doc = format!("Returns a clone of the `{wire}` field.");
            let field_docs = &field.docs;
            let docs = if field_docs.is_empty() {
                quote!(#[doc = #doc])
            } else {
                quote!(#[doc = #doc] #[doc = ""] #(#field_docs)*)
            };
            (docs, quote!(#[must_use] #vis fn #name(&self) -> #ty))
        }
        Role::Set => {
            let doc = format!("Sets the `{wire}` field and marks the session changed.");
            (
                quote!(#[doc = #doc]),
                quote!(#vis fn #name(&self, __sessions_value: #ty)),
            )
        }
        Role::Push(flash) | Role::SetSome(flash) => {
            let what = if matches!(role, Role::Push(_)) {
                format!("Adds a flash message to `{wire}`")
            } else {
                format!("Sets the `{wire}` flash")
            };
            let doc = format!(
                "{what}; it stays in the session until [`take_{wire}`](Self::take_{wire}) \
                 returns it."
            );
            let item = item(*flash);
            (
                quote!(#[doc = #doc]),
                quote!(#vis fn #name(&self, __sessions_value: #item)),
            )
        }
        Role::Take => {
            let doc = format!(
                "Returns the `{wire}` flash and leaves it empty. On a server-side store the \
                 take is saved before it returns, so when two requests take the flash at \
                 once each message goes to one of them; with nothing to take it costs \
                 nothing."
            );
            let must_use =
                format!("`{name}` empties the flash: what it returns is lost unless used");
            let signature = quote!(
                #[must_use = #must_use]
                #vis async fn #name(&self) -> ::sessions::Result<#ty>
            );
            (quote!(#[doc = #doc]), signature)
        }
    }
}

/// The body of a real accessor. Calls whose trait bound might fail on the user's type
/// (`Clone`, `Flash`) are spanned on that type, where the fix goes.
fn accessor_body(role: &Role, ident: &syn::Ident, ty: &syn::Type) -> TokenStream {
    let span = syn::spanned::Spanned::span(ty);
    // The member too, or the error would underline `field: Type` from the name on.
    let mut ident = ident.clone();
    ident.set_span(span);
    match role {
        Role::Get => {
            let clone = quote_spanned!(span=> ::core::clone::Clone::clone(&__sessions_data.#ident));
            quote!(__sessions_with(&self.0, |__sessions_data| #clone))
        }
        Role::Set => quote! {
            __sessions_update(&self.0, |__sessions_data| {
                __sessions_data.#ident = __sessions_value;
            });
        },
        Role::Push(_) => {
            let push = quote_spanned!(span=>
                ::std::vec::Vec::push(&mut __sessions_data.#ident, __sessions_value)
            );
            quote!(__sessions_update(&self.0, |__sessions_data| #push);)
        }
        Role::SetSome(_) => quote! {
            __sessions_update(&self.0, |__sessions_data| {
                __sessions_data.#ident = ::core::option::Option::Some(__sessions_value);
            });
        },
        Role::Take => {
            let field = quote_spanned!(span=> &mut __sessions_data.#ident);
            let take = quote_spanned!(span=> ::sessions::__private::take_flash);
            quote!(#take(&self.0, |__sessions_data| #field).await)
        }
    }
}
