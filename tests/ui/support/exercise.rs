// Shared by the `hygiene_*` pass cases through `include!`, so a shadowing bug in any
// generated method body (not only in a signature) fails their build or their `main`.
//
// `session_data!(Name)` declares `pub struct Name` with one field per field attribute,
// and `exercise!(Name, NameSession)` an `async fn exercise()` that drives the generated
// API through the runtime: load from a request carrying a `Sessions` registry, the
// setters, getters, flashes and owner, save, then load the cookie back through
// `load_parts` and the axum extractor. Every path is absolute and every trait method
// called through its trait, so both also work where the prelude is shadowed or absent.

macro_rules! session_data {
    ($data:ident) => {
        #[derive(
            ::sessions::Session,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::core::default::Default,
            ::core::clone::Clone,
        )]
        pub struct $data {
            pub count: u32,
            #[session(flash)]
            pub notes: ::std::vec::Vec<u8>,
            #[session(flash)]
            pub last: ::core::option::Option<u8>,
            #[session(readonly)]
            pub created: u64,
            #[session(skip)]
            pub cache: u8,
            #[session(owner)]
            pub user: ::core::option::Option<u64>,
        }
    };
}

macro_rules! exercise {
    ($data:ident, $session:ident) => {
        pub async fn exercise() {
            let sessions = ::sessions::Sessions::new(::sessions::CookieStore::new(
                ::sessions::Key::generate(),
            ));

            // A first request: no cookie, a new session.
            let mut request = ::http::Request::new(());
            let _registry = sessions.attach(&mut request);
            let session = $session::load(&request).await.expect("load");
            ::core::assert!(session.is_new());
            session.set_count(6);
            session.update(|data: &mut $data| data.count += 1);
            session.push_notes(1);
            session.set_last(2);
            let data: $data = session.get();
            ::core::assert_eq!((data.count, data.created, data.cache), (7, 0, 0));
            ::core::assert_eq!(session.count(), 7);
            ::core::assert_eq!(session.created(), 0);
            ::core::assert_eq!(::sessions::SessionData::owner(&data), ::core::option::Option::None);
            session.set_user(::core::option::Option::Some(5));
            ::core::assert_eq!(
                ::sessions::SessionData::owner(&session.get()),
                ::core::option::Option::Some(::std::borrow::ToOwned::to_owned("5")),
            );
            let mut response = ::http::Response::new(());
            session.save(&mut response).await.expect("save");
            let line = &response.headers()[::http::header::SET_COOKIE];
            let line = ::http::HeaderValue::to_str(line).expect("an ASCII cookie");
            let cookie = ::core::iter::Iterator::next(&mut line.split(';')).expect("a pair");

            // A second request sends the cookie back.
            let mut request = ::http::Request::builder()
                .header(::http::header::COOKIE, cookie)
                .body(())
                .expect("a valid request");
            let _registry = sessions.attach(&mut request);
            let (mut parts, ()) = request.into_parts();
            let session = $session::load_parts(&parts).await.expect("load_parts");
            ::core::assert!(!session.is_new());
            ::core::assert_eq!(session.count(), 7);
            ::core::assert_eq!(session.take_notes().await.expect("take"), ::std::vec![1]);
            ::core::assert_eq!(session.take_last().await.expect("take"), ::core::option::Option::Some(2));
            let extracted =
                <$session as ::axum::extract::FromRequestParts<()>>::from_request_parts(
                    &mut parts,
                    &(),
                )
                .await
                .expect("the extractor");
            ::core::assert_eq!(extracted.count(), 7);
            ::core::assert_eq!(extracted.take_last().await.expect("take"), ::core::option::Option::None);
            let cloned: $session = ::core::clone::Clone::clone(&extracted);
            cloned.replace(<$data as ::core::default::Default>::default());
            ::core::assert_eq!(extracted.count(), 0);
            let debug = ::std::format!("{extracted:?}");
            ::core::assert!(!debug.is_empty());
            extracted.destroy();
            let mut response = ::http::Response::new(());
            extracted.save(&mut response).await.expect("save");
            ::core::assert!(response.headers().contains_key(::http::header::SET_COOKIE));
        }
    };
}

/// Runs every module's `exercise` to completion.
macro_rules! run {
    ($($($module:ident)::+),* $(,)?) => {
        ::tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(async { $($($module::)+exercise().await;)* })
    };
}
