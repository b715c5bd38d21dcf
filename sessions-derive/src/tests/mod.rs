//! Tests of the whole pipeline on syn input: which errors a struct gets, and what the
//! expansion contains. What the compiler makes of the expansion is tested by trybuild in
//! `tests/ui`; these run without the runtime crate.

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ast::Input;
use crate::ctxt::Ctxt;
use crate::{expand, valid};

mod errors;
mod expansion;

/// The error messages of `input`, in order.
fn errors(input: &DeriveInput) -> Vec<String> {
    let cx = Ctxt::new();
    let model = Input::from_syn(&cx, input);
    let _ = valid::check(&cx, &model);
    match cx.check() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// The one error of `input`.
#[track_caller]
fn error(input: &DeriveInput) -> String {
    let mut errors = errors(input);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.remove(0)
}

/// The expansion with all whitespace removed, for `contains` checks.
fn expansion(input: &DeriveInput) -> String {
    squash(&expand::derive(input))
}

fn squash(tokens: &TokenStream) -> String {
    tokens
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}
