//! The conformance suite of [`sessions`] stores: every server-side store,
//! ours or yours, runs the same cases through [`store_tests!`].
//!
//! Add this crate as a dev-dependency of the crate that implements a
//! [`Backend`](sessions::store::Backend), and call the macro once in an
//! integration test; it expands to one `#[tokio::test]` per case:
//!
//! ```toml
//! [dev-dependencies]
//! sessions-conformance = "0.1"
//! ```
//!
//! ```
//! use sessions::store::{MemoryBackend, ServerStore};
//!
//! // tests/conformance.rs of the crate whose backend is under test:
//! sessions_conformance::store_tests!(|key| ServerStore::from_backend(MemoryBackend::new(1_000), key));
//! # fn main() {
//! #     let store = ServerStore::from_backend(MemoryBackend::new(1_000), sessions::Key::generate());
//! #     assert_eq!(store.backend().capacity(), 1_000);
//! # }
//! ```
//!
//! The suite checks the promises written on
//! [`Backend`](sessions::store::Backend) and [`Store`](sessions::store::Store)
//! for a [`ServerStore`](sessions::store::ServerStore) over the backend under
//! test:
//!
//! - the backend alone: insert-if-absent `create` (also under 32 concurrent
//!   creators), exact `load` honouring `now`, `expires_at` and the size
//!   limit it is given, compare-and-set `update` (`Written` only over the
//!   live record's version, `Stale` over another version, `Missing` on a
//!   missing, deleted or expired record, never writing unless `Written`),
//!   versions that are stored as given and only go up, exactly one
//!   winner among 32 concurrent updates over one version, idempotent
//!   `delete`, `cleanup_expired` sparing live records, whole records under
//!   32 concurrent updates, no resurrection by updates racing a delete;
//! - the store, through the session registry as a browser sees it and
//!   through [`Store::load`](sessions::store::Store::load) and
//!   [`Store::delete`](sessions::store::Store::delete): save then load,
//!   update in place, no write for an untouched session, destroy, renew
//!   (new id, old cookie dead, `created_at` kept), a missing or expired
//!   record giving a new session under a new id, idle and absolute
//!   timeouts, the record size limit on save and on load, one more
//!   version ([`Loaded::version`](sessions::store::Loaded::version)) per
//!   save;
//! - hostile input: malformed ids, bogus and tampered cookies, client-chosen
//!   ids, cookies issued for another cookie name, by a store of another
//!   kind or with another key over the same backend (so the id they carry
//!   is live);
//! - races: 32 concurrent saves of one session, and saves that lose to a
//!   `destroy` or a `renew` in another request;
//! - merges: 20 overlapping requests that each change their own field all
//!   keep their change, 20 concurrent flash pushes all survive, 10
//!   requests taking one flash at once see each message once, and a field
//!   two requests changed goes to the later save (or fails it with
//!   `Error::Conflict` under `on_conflict = "error"`);
//! - owners: `Backend::owned` lists exactly an owner's live records and
//!   follows every write, delete and expiry; through the store an owner's
//!   sessions are listed (each login once, the current one marked),
//!   revoked by handle (only the owner's own, once; a cookie or junk is no
//!   handle), all but the current one, all, and capped per owner (the
//!   oldest goes); a revoke racing a save never lets the session back.
//!
//! What a backend never sees is not checked here: values sealed by hand
//! (the codec is private to `sessions`, whose own tests forge them).
//! Nor is what only a backend's storage can do, such as a record's bytes
//! copied under another id: test that beside your backend, as the
//! `sessions` repository does for files, Redis and SQLite.
//!
//! Records are aged by writing them with [`Times`](sessions::store::Times)
//! in the past, never by sleeping, so the suite takes well under a second
//! on an in-memory backend. [`Guarded`] gives each test's backend its own
//! resources (a temp dir, a server) that live exactly as long as the store.

// A case fails by panicking, like any test: its docs say what it checks.
#[allow(clippy::missing_panics_doc)]
mod backend;
mod guarded;
mod harness;
#[allow(clippy::missing_panics_doc)]
mod hostile;
#[allow(clippy::missing_panics_doc)]
mod merge;
#[allow(clippy::missing_panics_doc)]
mod owners;
#[allow(clippy::missing_panics_doc)]
mod race;
#[allow(clippy::missing_panics_doc)]
mod store;
#[allow(clippy::missing_panics_doc)]
mod versions;

pub use guarded::Guarded;

/// The cases, one `async fn(Key, ServerStore<B>)` each, that
/// [`store_tests!`] turns into tests. Hidden: the macro is the interface,
/// and its docs list the cases by the names of the tests.
#[doc(hidden)]
pub mod cases {
    pub use super::backend::*;
    pub use super::hostile::*;
    pub use super::merge::*;
    pub use super::owners::*;
    pub use super::race::*;
    pub use super::store::*;
    pub use super::versions::*;
}

/// What the expansion of [`store_tests!`] names, so that a crate using it
/// needs no other dependency than `sessions-conformance` and `sessions`.
#[doc(hidden)]
pub mod __rt {
    pub use sessions;
    pub use tokio;
}

/// Runs the store conformance suite against a server-side store.
///
/// Give it a way to make the store under test from the [`Key`] the suite
/// chose (the suite opens stores of other kinds over the same backend
/// with it, to check that their cookies do not open in yours). Each test
/// makes its own store; a backend that shares state between them (one
/// database) is fine, the cases only touch fresh random ids.
///
/// It expands to a module of `#[tokio::test]` functions, one per case,
/// named after the case (`backend_create_then_load`,
/// `store_renew_gives_a_new_id`...). Three forms:
///
/// - `store_tests!(|key| expr)`: a module named `store_conformance`; `expr`
///   makes a `ServerStore<B>` from `key` and may `.await`;
/// - `store_tests!(name, |key| expr)`: the same in a module `name`;
/// - `store_tests!(name, make)`: `make` is an
///   `async fn(Key) -> ServerStore<B>` (for a constructor that awaits
///   nothing, prefer the closure form: clippy flags an `async fn` without
///   `.await`).
///
/// The module imports its parent's names (`use super::*`), so `expr` and
/// `make` may name what is in scope where the macro is called. It names
/// tokio through this crate, so the caller needs no tokio of its own.
///
/// ```
/// use sessions::Key;
/// use sessions::store::{Backend, MemoryBackend, ServerStore};
///
/// sessions_conformance::store_tests!(|key| ServerStore::from_backend(MemoryBackend::new(1_000), key));
///
/// async fn small_memory(key: Key) -> ServerStore<MemoryBackend> {
///     ServerStore::from_backend(MemoryBackend::new(100), key)
/// }
/// sessions_conformance::store_tests!(small, small_memory);
/// # fn main() {
/// // The tests run under `cargo test`; here, the store they get:
/// let store = tokio::runtime::Runtime::new().unwrap().block_on(small_memory(Key::generate()));
/// assert_eq!(store.backend().kind(), "memory");
/// # }
/// ```
///
/// [`Key`]: sessions::Key
#[macro_export]
macro_rules! store_tests {
    (|$key:ident| $make:expr $(,)?) => {
        $crate::store_tests!(store_conformance, |$key| $make);
    };
    ($name:ident, |$key:ident| $make:expr $(,)?) => {
        #[allow(unused_imports)]
        mod $name {
            use super::*;
            use $crate::__rt::tokio as __store_tests_tokio;

            async fn __store_tests_make(
                $key: $crate::__rt::sessions::Key,
            ) -> $crate::__rt::sessions::store::ServerStore<
                impl $crate::__rt::sessions::store::Backend,
            > {
                $make
            }

            $crate::__store_test_fns! {
                current: [
                    backend_kind_names_the_backend,
                    backend_create_then_load,
                    backend_create_on_live_id_changes_nothing,
                    backend_create_on_expired_id_inserts,
                    backend_load_honours_now,
                    backend_load_applies_the_size_limit,
                    backend_update_replaces_live_record,
                    backend_update_on_missing_id_writes_nothing,
                    backend_update_on_expired_record_writes_nothing,
                    backend_update_with_stale_version_writes_nothing,
                    backend_versions_only_go_up,
                    backend_delete_is_idempotent,
                    backend_cleanup_keeps_live_records,
                    store_save_then_load,
                    store_load_honours_now,
                    store_update_keeps_the_id,
                    store_untouched_session_writes_nothing,
                    store_destroy_stops_the_cookie,
                    store_delete_stops_loading,
                    store_renew_gives_a_new_id,
                    store_missing_record_gives_a_new_id,
                    store_expired_record_gives_a_new_id,
                    store_idle_timeout,
                    store_absolute_timeout,
                    store_record_size_limit,
                    store_record_over_the_limit_does_not_load,
                    store_versions_increase_with_each_save,
                    session_id_parse_rejects_malformed_text,
                    store_rejects_bogus_cookies,
                    store_never_adopts_a_client_value,
                    store_binds_the_cookie_name,
                    store_binds_the_store_kind,
                    store_rejects_other_keys,
                    store_save_racing_destroy_does_not_resurrect,
                    store_renew_racing_destroy_does_not_resurrect,
                    store_update_racing_renew_writes_nothing,
                    store_racing_renews_do_not_fork,
                    store_same_field_goes_to_the_later_save,
                    store_same_field_conflict_is_an_error_when_asked,
                    backend_owned_lists_exactly_the_live_records_of_an_owner,
                    backend_owned_honours_now,
                    store_owner_sessions_lists_each_login,
                    store_revoke_one_logs_that_browser_out,
                    store_revoke_others_then_all,
                    store_logout_renew_and_expiry_keep_the_list_exact,
                    store_cap_revokes_the_oldest_session,
                ],
                threaded: [
                    backend_concurrent_creates_have_one_winner,
                    backend_concurrent_updates_leave_one_whole_record,
                    backend_concurrent_updates_have_one_winner,
                    backend_update_racing_delete_never_resurrects,
                    store_concurrent_saves_leave_one_whole_record,
                    store_concurrent_changes_of_different_fields_all_survive,
                    store_concurrent_flash_pushes_all_survive,
                    store_concurrent_takes_show_each_flash_once,
                    store_revoke_racing_a_save_never_resurrects,
                ],
            }
        }
    };
    ($name:ident, $make:expr $(,)?) => {
        $crate::store_tests!($name, |key| ($make)(key).await);
    };
}

/// One `#[tokio::test]` per case: [`store_tests!`]'s expansion, inside the
/// module that defines `__store_tests_make` and imports tokio as
/// `__store_tests_tokio` (names of their own, so that neither shadows a
/// name of the caller's that the module imports with `use super::*`).
#[doc(hidden)]
#[macro_export]
macro_rules! __store_test_fns {
    (current: [$($current:ident),* $(,)?], threaded: [$($threaded:ident),* $(,)?] $(,)?) => {
        $(
            #[__store_tests_tokio::test(crate = "__store_tests_tokio")]
            async fn $current() {
                let key = $crate::__rt::sessions::Key::generate();
                $crate::cases::$current(key.clone(), __store_tests_make(key).await).await;
            }
        )*
        $(
            #[__store_tests_tokio::test(
                crate = "__store_tests_tokio",
                flavor = "multi_thread",
                worker_threads = 2
            )]
            async fn $threaded() {
                let key = $crate::__rt::sessions::Key::generate();
                $crate::cases::$threaded(key.clone(), __store_tests_make(key).await).await;
            }
        )*
    };
}
