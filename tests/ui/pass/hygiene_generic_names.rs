// User types named like the generic parameters an expansion might declare (`load<B>`,
// `FromRequestParts<S>`, helpers' `<T, R>`...) derive and work: the derive and
// `__session_glue!` name theirs `__Sessions*`, and a user type never meets them.
include!("../support/exercise.rs");

mod b {
    session_data!(B);
    exercise!(B, BSession);
}

mod t {
    session_data!(T);
    exercise!(T, TSession);
}

mod s {
    session_data!(S);
    exercise!(S, SSession);
}

mod r {
    session_data!(R);
    exercise!(R, RSession);
}

mod e {
    session_data!(E);
    exercise!(E, ESession);
}

mod f {
    session_data!(F);
    exercise!(F, FSession);
}

mod u {
    session_data!(U);
    exercise!(U, USession);
}

// Field types with those names, and a data type whose module holds all of them.
mod fields {
    use serde::{Deserialize, Serialize};
    use sessions::Session;

    macro_rules! field_types {
        ($($name:ident),*) => {$(
            #[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
            pub struct $name(pub u8);
        )*};
    }
    field_types!(B, T, S, R, E, F, U);

    #[derive(Session, Serialize, Deserialize, Default, Clone)]
    pub struct Fields {
        pub b: B,
        pub t: T,
        pub s: S,
        #[session(flash)]
        pub r: Vec<R>,
        #[session(flash)]
        pub e: Option<E>,
        #[session(readonly)]
        pub f: F,
        pub u: U,
    }

    pub async fn exercise() {
        let sessions =
            sessions::Sessions::new(sessions::CookieStore::new(sessions::Key::generate()));
        let mut request = http::Request::new(());
        let _registry = sessions.attach(&mut request);
        let session = FieldsSession::load(&request).await.expect("load");
        session.set_b(B(1));
        session.set_t(T(2));
        session.set_s(S(3));
        session.push_r(R(4));
        session.set_e(E(5));
        session.set_u(U(6));
        assert_eq!((session.b(), session.t(), session.s()), (B(1), T(2), S(3)));
        assert_eq!((session.f(), session.u()), (F(0), U(6)));
        assert_eq!(session.take_r().await.expect("take"), vec![R(4)]);
        assert_eq!(session.take_e().await.expect("take"), Some(E(5)));
        let mut response = http::Response::new(());
        session.save(&mut response).await.expect("save");
        assert!(response.headers().contains_key(http::header::SET_COOKIE));
    }
}

fn main() {
    run!(b, t, s, r, e, f, u, fields);
}
