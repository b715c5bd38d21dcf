//! What the expansion and its fallback contain.

use syn::DeriveInput;

use super::{errors, expansion};

#[test]
fn the_brief_example_expands_without_errors() {
    let input: DeriveInput = syn::parse_quote! {
        #[session(name = "user", max_age = 604800)]
        pub struct User {
            pub user_id: Option<u64>,
            pub theme: String,
            #[session(flash)]
            pub notices: Vec<String>,
        }
    };
    assert_eq!(errors(&input), Vec::<String>::new());
    let out = expansion(&input);
    for expected in [
        "pubstructUserSession(::sessions::Handle<User>);",
        "const_:()={",
        "impl::sessions::SessionDataforUser",
        "::sessions::SessionConfig::new(\"user\").with_max_age(::core::time::Duration::from_secs(604800u64));",
        "pubfnuser_id(&self)->Option<u64>",
        "pubfnset_user_id(&self,__sessions_value:Option<u64>)",
        "pubfnpush_notices(&self,__sessions_value:String)",
        "pubasyncfntake_notices(&self)->::sessions::Result<Vec<String>>",
        "constFLASH_FIELDS:&'static[&'staticstr]=&[\"notices\"];",
        "::sessions::__session_glue!(UserSession,User);",
        "::sessions::__private::load::<User,Self,__SessionsBody>(__sessions_request)",
    ] {
        assert!(out.contains(expected), "missing {expected}\nin {out}");
    }
    assert!(!out.contains("compile_error"), "{out}");
    assert!(!out.contains("fnnotices("), "a flash has no getter: {out}");
}

#[test]
fn only_written_attributes_become_builder_calls() {
    let input: DeriveInput = syn::parse_quote!(
        struct Cart {}
    );
    let out = expansion(&input);
    assert!(out.contains("SessionConfig::new(\"cart\");"), "{out}");
    assert!(
        out.contains("structCartSession(::sessions::Handle<Cart>);"),
        "{out}"
    );
}

#[test]
fn every_attribute_maps_to_its_builder() {
    let input: DeriveInput = syn::parse_quote! {
        #[session(name = "a", max_age = 1, idle_timeout = 2, absolute_timeout = 3u64)]
        #[session(persistent = false, path = "/app", domain = "example.com", secure = true)]
        #[session(http_only = false, same_site = "none", partitioned, store = "files")]
        struct A {}
    };
    assert_eq!(errors(&input), Vec::<String>::new());
    let out = expansion(&input);
    let expected = "::sessions::SessionConfig::new(\"a\")\
        .with_max_age(::core::time::Duration::from_secs(1u64))\
        .with_idle_timeout(::core::time::Duration::from_secs(2u64))\
        .with_absolute_timeout(::core::time::Duration::from_secs(3u64))\
        .with_persistent(false).with_path(\"/app\").with_domain(\"example.com\")\
        .with_secure(true).with_http_only(false)\
        .with_same_site(::sessions::SameSite::None).with_partitioned(true)\
        .with_store(\"files\");";
    assert!(out.contains(expected), "{out}");
}

#[test]
fn raw_identifiers_keep_the_getter_raw_and_unraw_the_rest() {
    let input: DeriveInput = syn::parse_quote! {
        struct R {
            r#type: u8,
            #[session(flash)]
            r#match: Option<u8>,
        }
    };
    let out = expansion(&input);
    for expected in [
        "fnr#type(&self)",
        "fnset_type(",
        "fnset_match(",
        "fntake_match(",
    ] {
        assert!(out.contains(expected), "missing {expected}\nin {out}");
    }
}

#[test]
fn accessor_helpers_are_emitted_only_when_used() {
    let empty: DeriveInput = syn::parse_quote!(
        struct A {}
    );
    let out = expansion(&empty);
    assert!(
        !out.contains("fn__sessions_with") && !out.contains("fn__sessions_update"),
        "{out}"
    );
    let read_only: DeriveInput = syn::parse_quote!(
        struct A {
            #[session(readonly)]
            a: u8,
        }
    );
    let out = expansion(&read_only);
    assert!(
        out.contains("fn__sessions_with") && !out.contains("fn__sessions_update"),
        "{out}"
    );
    let flash: DeriveInput = syn::parse_quote!(
        struct A {
            #[session(flash)]
            a: Vec<u8>,
        }
    );
    let out = expansion(&flash);
    assert!(
        !out.contains("fn__sessions_with") && out.contains("fn__sessions_update"),
        "{out}"
    );
}

#[test]
fn readonly_and_skip() {
    let input: DeriveInput = syn::parse_quote! {
        struct S {
            #[session(readonly)] a: u8,
            #[session(skip)] b: u8,
        }
    };
    let out = expansion(&input);
    assert!(out.contains("fna(&self)"), "{out}");
    assert!(!out.contains("fnset_a("), "{out}");
    assert!(!out.contains("fnb(") && !out.contains("fnset_b("), "{out}");
}

#[test]
fn the_owner_field_gives_session_data_its_owner() {
    let input: DeriveInput = syn::parse_quote! {
        pub struct User {
            pub theme: String,
            #[cfg(feature = "accounts")]
            #[session(owner, readonly)]
            pub user_id: Option<u64>,
        }
    };
    assert_eq!(errors(&input), Vec::<String>::new());
    let out = expansion(&input);
    let owner = "#[cfg(feature=\"accounts\")]#[inline]\
        fnowner(&self)->::core::option::Option<::std::string::String>{\
        <Option<u64>as::sessions::SessionOwner>::owner_text(&self.user_id)}";
    assert!(out.contains(owner), "missing {owner}\nin {out}");
    assert!(out.contains("pubfnuser_id(&self)"), "{out}");
    assert!(!out.contains("fnset_user_id("), "readonly: {out}");
    let without: DeriveInput = syn::parse_quote!(
        struct A {
            a: u64,
        }
    );
    assert!(!expansion(&without).contains("fnowner("));
}

#[test]
fn the_fallback_leaves_the_owner_to_the_default() {
    // The owner's type may be the error; the stub must not add one of its own.
    let input: DeriveInput = syn::parse_quote! {
        #[session(max_age = 0)]
        struct A { #[session(owner)] a: f64 }
    };
    let out = expansion(&input);
    assert!(out.contains("compile_error!"), "{out}");
    assert!(out.contains("impl::sessions::SessionDataforA"), "{out}");
    assert!(
        !out.contains("fnowner(") && !out.contains("SessionOwner"),
        "{out}"
    );
}

#[test]
fn the_fallback_keeps_a_stub_with_every_free_accessor() {
    let input: DeriveInput = syn::parse_quote! {
        #[session(max_age = 0)]
        pub struct User { pub a: u8, pub save: bool, #[session(flash)] pub n: u8 }
    };
    let out = expansion(&input);
    assert_eq!(out.matches("compile_error!").count(), 3, "{out}");
    assert!(
        out.contains("pubstructUserSession(::sessions::Handle<User>);"),
        "{out}"
    );
    assert!(
        out.contains("SessionConfig::new(\"user\");"),
        "the stub config has only the name: {out}"
    );
    for expected in [
        "pubfnload<__SessionsBody>",
        "pubfnload_parts(",
        "pubfna(&self)->u8",
        "pubfnset_a(",
        "pubfnpush_n(",
        "pubasyncfntake_n(&self)->::sessions::Result<u8>",
    ] {
        assert!(out.contains(expected), "missing {expected}\nin {out}");
    }
    assert!(!out.contains("pubfnsave("), "{out}");
    assert!(out.contains("::core::unimplemented!()"), "{out}");
}

#[test]
fn the_fallback_of_a_generic_struct_mirrors_its_parameters() {
    let input: DeriveInput = syn::parse_quote!(
        pub struct User<'a, T: Clone> {
            pub a: &'a T,
        }
    );
    let out = expansion(&input);
    assert!(out.contains("pubstructUserSession<'a,T:Clone>(::sessions::Handle<User<'a,T>>)whereUser<'a,T>:::sessions::SessionData;"), "{out}");
    assert!(
        !out.contains("implsessions::SessionDatafor") && !out.contains("__session_glue"),
        "{out}"
    );
}
