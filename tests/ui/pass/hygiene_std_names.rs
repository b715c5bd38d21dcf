// User types named like the prelude, `std` and `sessions` items the expansion uses
// derive and work: every path in it is absolute. Each module of `named` holds a data
// type of that name; `shadowed` shadows all of them at once, in both namespaces, and
// `no_prelude` has no prelude at all.
#![allow(dead_code, non_camel_case_types)]

include!("../support/exercise.rs");

macro_rules! named {
    ($($module:ident: $data:ident, $session:ident;)*) => {
        mod named {
            $(
                pub mod $module {
                    session_data!($data);
                    exercise!($data, $session);
                }
            )*

            pub async fn exercise() {
                $($module::exercise().await;)*
            }
        }
    };
}

named! {
    request: Request, RequestSession;
    response: Response, ResponseSession;
    parts: Parts, PartsSession;
    future: Future, FutureSession;
    output: Output, OutputSession;
    result: Result, ResultSession;
    error: Error, ErrorSession;
    option: Option, OptionSession;
    some: Some, SomeSession;
    none: None, NoneSession;
    ok: Ok, OkSession;
    err: Err, ErrSession;
    boxed: Box, BoxSession;
    vec: Vec, VecSession;
    string: String, StringSession;
    handle: Handle, HandleSession;
    sessions_: Sessions, SessionsSession;
    send: Send, SendSession;
    sync: Sync, SyncSession;
    default: Default, DefaultSession;
    clone: Clone, CloneSession;
    from: From, FromSession;
    deref: Deref, DerefSession;
    debug: Debug, DebugSession;
    formatter: Formatter, FormatterSession;
    sized: Sized, SizedSession;
    fn_once: FnOnce, FnOnceSession;
    target: Target, TargetSession;
    duration: Duration, DurationSession;
    session_data: SessionData, SessionDataSession;
    session_owner: SessionOwner, SessionOwnerSession;
    session_config: SessionConfig, SessionConfigSession;
    same_site: SameSite, SameSiteSession;
    session_rejection: SessionRejection, SessionRejectionSession;
    from_request_parts: FromRequestParts, FromRequestPartsSession;
    rejection: Rejection, RejectionSession;
    flash: Flash, FlashSession;
    pending: Pending, PendingSession;
}

// Every such name at once, as unit structs (types and values) and traits.
mod shadowed {
    struct Request;
    struct Response;
    struct Parts;
    struct Output;
    struct Result;
    struct Error;
    struct Option;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Box;
    struct Vec;
    struct String;
    struct Handle;
    struct Sessions;
    struct Duration;
    struct SessionConfig;
    struct SessionRejection;
    struct SameSite;
    struct Formatter;
    struct Target;
    struct Rejection;
    struct Flash;
    struct Pending;
    struct Registry;
    struct SessionData;
    trait SessionOwner {}
    trait Future {}
    trait Send {}
    trait Sync {}
    trait Default {}
    trait Clone {}
    trait From<X> {}
    trait Into<X> {}
    trait Deref {}
    trait Debug {}
    trait Sized {}
    trait FnOnce {}
    trait FromRequestParts {}
    mod core {}
    mod std {}
    mod http {}
    mod axum_core {}
    mod serde {}

    session_data!(User);
    exercise!(User, UserSession);
}

#[no_implicit_prelude]
mod no_prelude {
    session_data!(User);
    exercise!(User, UserSession);
}

fn main() {
    run!(named, shadowed, no_prelude);
}
