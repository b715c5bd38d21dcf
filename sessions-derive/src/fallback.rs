//! What the derive emits when the struct has errors: the errors, then a stub.
//!
//! Without the stub every use of `UserSession` in the user's crate would add an error of
//! its own ("cannot find type `UserSession`", "no method `theme`"), burying the one that
//! matters. The stub has the same name, `load`/`load_parts`, `Deref` to the handle and
//! every accessor that could be derived, with bodies that are never run: the program
//! does not compile anyway, and stub bodies cannot add errors (such as a missing `Clone`
//! on a field type) that the real expansion would report later, one at a time.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Generics, parse_quote};

use crate::ast::{Accessor, Input};
use crate::expand::{self, Bodies};

pub(crate) fn expand(input: &Input, accessors: &[Accessor], errors: &syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let generics = stub_generics(input);
    let session_struct = expand::session_struct(input, &generics);
    let trait_impls = expand::trait_impls(input, &generics);
    // A generic struct has no one `SessionData` impl to give (nor one type to pass to the
    // glue), so its stub only assumes one, in where clauses that user code may satisfy. A
    // union cannot be serialized, so it gets no impl either, and a stub `load`.
    let bodies = if input.is_union {
        Bodies::StubWithoutData
    } else {
        Bodies::Stub
    };
    let inherent_impl = expand::inherent_impl(input, &generics, accessors, bodies);
    let (data_impl, glue) = if input.is_generic() || input.is_union {
        (None, None)
    } else {
        // Only the name: the other attributes may be the very ones in error, and the
        // default `owner()`, as the owner's type may not be a `SessionOwner` either.
        let data_impl = expand::data_impl(input, &TokenStream::new(), &TokenStream::new());
        (Some(data_impl), Some(expand::glue(input)))
    };
    quote! {
        #errors
        #session_struct
        const _: () = {
            #data_impl
            #trait_impls
            #inherent_impl
            #glue
        };
    }
}

/// The user's generics, plus `User<..>: SessionData` when there are any, so that the
/// stub's `Handle<User<..>>` is well formed without an impl.
fn stub_generics(input: &Input) -> Generics {
    let mut generics = input.generics.clone();
    if input.is_generic() {
        let ident = input.ident;
        let (_, ty_generics, _) = input.generics.split_for_impl();
        generics
            .make_where_clause()
            .predicates
            .push(parse_quote!(#ident #ty_generics: ::sessions::SessionData));
    }
    generics
}
