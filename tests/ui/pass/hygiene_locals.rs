// Items named like bindings an expansion might make (`value`, `data`, `request`...) turn
// a binding of that name into a pattern (a unit struct, a constant) or an error (a
// static), `mixed_site` hygiene or not (the exercise's own `macro_rules!` bindings would
// fail here): the derive and `__session_glue!` name theirs `__sessions_*`.
#![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

include!("../support/exercise.rs");

// Unit structs: a binding of the same name would be a pattern matching the struct.
mod unit_structs {
    struct value;
    struct data;
    struct request;
    struct parts;
    struct handle;
    struct read;
    struct change;
    struct f;
    struct load;
    struct state;
    struct _state;

    session_data!(User);

    // The exercise's own bindings are not under test.
    pub mod run {
        use super::{User, UserSession};
        exercise!(User, UserSession);
    }
}

// Constants: a binding of the same name would be a refutable pattern.
mod constants {
    const value: u8 = 0;
    const data: u8 = 0;
    const request: u8 = 0;
    const parts: u8 = 0;
    const handle: u8 = 0;
    const read: u8 = 0;
    const change: u8 = 0;
    const f: u8 = 0;
    const load: u8 = 0;
    const state: u8 = 0;
    const _state: u8 = 0;

    session_data!(User);

    // The exercise's own bindings are not under test.
    pub mod run {
        use super::{User, UserSession};
        exercise!(User, UserSession);
    }
}

// Statics: a binding cannot shadow one at all.
mod statics {
    static value: u8 = 0;
    static data: u8 = 0;
    static request: u8 = 0;
    static parts: u8 = 0;
    static handle: u8 = 0;
    static read: u8 = 0;
    static change: u8 = 0;
    static f: u8 = 0;
    static load: u8 = 0;
    static state: u8 = 0;
    static _state: u8 = 0;

    session_data!(User);

    // The exercise's own bindings are not under test.
    pub mod run {
        use super::{User, UserSession};
        exercise!(User, UserSession);
    }
}

// Fields named like the bindings: `__sessions_data.value`, `set_data(__sessions_value)`.
mod fields {
    use serde::{Deserialize, Serialize};
    use sessions::Session;

    #[derive(Session, Serialize, Deserialize, Default, Clone)]
    pub struct Fields {
        pub value: u8,
        pub data: u8,
        pub request: u8,
        pub parts: u8,
        pub handle: u8,
        pub f: u8,
        #[session(flash)]
        pub read: Vec<u8>,
        #[session(flash)]
        pub change: Option<u8>,
    }

    pub async fn exercise() {
        let sessions =
            sessions::Sessions::new(sessions::CookieStore::new(sessions::Key::generate()));
        let mut req = http::Request::new(());
        let _registry = sessions.attach(&mut req);
        let session = FieldsSession::load(&req).await.expect("load");
        session.set_value(1);
        session.set_data(2);
        session.set_request(3);
        session.set_parts(4);
        session.set_handle(5);
        session.set_f(6);
        session.push_read(7);
        session.set_change(8);
        let got = (session.value(), session.data(), session.request());
        assert_eq!(got, (1, 2, 3));
        assert_eq!((session.parts(), session.handle(), session.f()), (4, 5, 6));
        assert_eq!(
            (
                session.take_read().await.expect("take"),
                session.take_change().await.expect("take"),
            ),
            (vec![7], Some(8))
        );
        let mut res = http::Response::new(());
        session.save(&mut res).await.expect("save");
        assert!(res.headers().contains_key(http::header::SET_COOKIE));
    }
}

fn main() {
    run!(unit_structs::run, constants::run, statics::run, fields);
}
