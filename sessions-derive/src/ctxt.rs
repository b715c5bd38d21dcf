//! The error context shared by every stage of the derive.
//!
//! A user who makes three mistakes in one struct should learn about all three in one
//! compile, not one per round trip. So no stage returns early on a user error: each one
//! records it here and carries on with a best guess, and the pipeline asks once, at the
//! end, whether anything went wrong.

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use proc_macro2::Span;
use quote::ToTokens;

/// Collects the user-facing errors of one derive invocation.
///
/// Dropping a context whose errors were never collected with [`Ctxt::check`] panics:
/// that is always a bug in the derive (a silently lost diagnostic), never a user error.
pub(crate) struct Ctxt {
    /// `None` once [`Ctxt::check`] has taken the errors.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error that covers the tokens of `tokens` (first to last token).
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, msg: impl Display) {
        self.push(syn::Error::new_spanned(tokens.into_token_stream(), msg));
    }

    /// Records an error at one span.
    pub(crate) fn error_at(&self, span: Span, msg: impl Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// Records an error produced by syn itself (a syntax error inside `#[session(...)]`).
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.push(error);
    }

    fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt is not used after check()")
            .push(error);
    }

    /// Consumes the context: `Err` carries every recorded error, combined in the order
    /// they were found, which is source order within each stage.
    pub(crate) fn check(self) -> Result<(), syn::Error> {
        let errors = self
            .errors
            .borrow_mut()
            .take()
            .expect("check() runs once, as it consumes the Ctxt");
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        // While unwinding from another panic, a second one would abort and hide the first.
        if !thread::panicking() {
            assert!(
                self.errors.borrow().is_none(),
                "sessions-derive bug: a Ctxt was dropped without check()"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ctxt;
    use proc_macro2::Span;

    #[test]
    fn check_without_errors_is_ok() {
        assert!(Ctxt::new().check().is_ok());
    }

    #[test]
    fn check_returns_every_error_in_order() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "first");
        cx.error_at(Span::call_site(), "second");
        let messages: Vec<String> = cx
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    #[should_panic(expected = "dropped without check")]
    fn dropping_an_unchecked_context_panics() {
        drop(Ctxt::new());
    }
}
