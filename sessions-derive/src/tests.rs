//! Tests of the whole pipeline on syn input: which errors a struct gets, and what the
//! expansion contains. What the compiler makes of the expansion is tested by trybuild in
//! `tests/ui`; these run without the runtime crate.

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ast::Input;
use crate::ctxt::Ctxt;
use crate::{expand, valid};

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
        "pubfntake_notices(&self)->Vec<String>",
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
fn all_errors_of_a_struct_come_together() {
    let input: DeriveInput = syn::parse_quote! {
        #[session(nmae = "x", max_age = 0)]
        #[session(max_age = "1")]
        enum User {}
    };
    assert_eq!(
        errors(&input),
        [
            "unknown session attribute `nmae`, expected one of `name`, `max_age`, \
             `idle_timeout`, `absolute_timeout`, `persistent`, `path`, `domain`, `secure`, \
             `http_only`, `same_site`, `partitioned`, `store`",
            "expected a positive number of seconds for `max_age`, found 0",
            "expected integer seconds for `max_age`",
            "expected a struct with named fields, found an enum",
        ]
    );
}

#[test]
fn trailing_commas_and_empty_lists_are_accepted() {
    let input: DeriveInput = syn::parse_quote! {
        #[session(name = "a", partitioned,)]
        #[session()]
        struct A { #[session(flash,)] a: Vec<u8> }
    };
    assert_eq!(errors(&input), Vec::<String>::new());
}

#[test]
fn duplicates_are_reported_on_the_second() {
    let input: DeriveInput = syn::parse_quote! {
        #[session(name = "a")]
        #[session(name = "b")]
        struct A {}
    };
    assert_eq!(error(&input), "duplicate session attribute `name`");
    assert!(expansion(&input).contains("SessionConfig::new(\"a\")"));
}

#[test]
fn attribute_value_errors() {
    let cases: [(DeriveInput, &str); 13] = [
        (
            syn::parse_quote!(
                #[session(max_age = -5)]
                struct A {}
            ),
            "found a negative number",
        ),
        (
            syn::parse_quote!(
                #[session(max_age = 1.5)]
                struct A {}
            ),
            "expected integer seconds for `max_age`",
        ),
        (
            syn::parse_quote!(
                #[session(max_age = 5u8)]
                struct A {}
            ),
            "without a suffix or with `u64`",
        ),
        (
            syn::parse_quote!(
                #[session(max_age = 18446744073709551616)]
                struct A {}
            ),
            "expected at most 34560000 seconds for `max_age` (400 days",
        ),
        (
            syn::parse_quote!(
                #[session(absolute_timeout = 3155760001)]
                struct A {}
            ),
            "expected at most 3155760000 seconds for `absolute_timeout` (100 years)",
        ),
        (
            syn::parse_quote!(
                #[session(max_age)]
                struct A {}
            ),
            "expected `max_age = <seconds>`",
        ),
        (
            syn::parse_quote!(
                #[session(secure = "yes")]
                struct A {}
            ),
            "expected `true` or `false` for `secure`",
        ),
        (
            syn::parse_quote!(
                #[session(name = user)]
                struct A {}
            ),
            "expected a string literal for `name`",
        ),
        (
            syn::parse_quote!(
                #[session(name = "a b")]
                struct A {}
            ),
            "invalid character ` ` (space) in cookie name",
        ),
        (
            syn::parse_quote!(
                #[session(same_site = "Lax")]
                struct A {}
            ),
            "expected \"lax\", \"strict\" or \"none\"",
        ),
        (
            syn::parse_quote!(
                #[session(store = "")]
                struct A {}
            ),
            "expected a non-empty store name",
        ),
        (
            syn::parse_quote!(
                #[session(path = "app")]
                struct A {}
            ),
            "expected a cookie path starting with `/`",
        ),
        (
            syn::parse_quote!(
                #[session(partitioned(x))]
                struct A {}
            ),
            "expected `partitioned` without a value",
        ),
    ];
    for (input, expected) in cases {
        let error = error(&input);
        assert!(
            error.contains(expected),
            "{error:?} should contain {expected:?}"
        );
    }
}

#[test]
fn secure_false_conflicts() {
    let cases: [(DeriveInput, &str); 5] = [
        (
            syn::parse_quote!(
                #[session(same_site = "none", secure = false)]
                struct A {}
            ),
            "with `same_site = \"none\"`",
        ),
        (
            syn::parse_quote!(
                #[session(secure = false, partitioned)]
                struct A {}
            ),
            "with `partitioned`",
        ),
        (
            syn::parse_quote!(
                #[session(name = "__Secure-a", secure = false)]
                struct A {}
            ),
            "starting with `__Secure-`",
        ),
        (
            syn::parse_quote!(
                #[session(name = "__host-a", domain = "a.b")]
                struct A {}
            ),
            "expected no `domain`",
        ),
        (
            syn::parse_quote!(
                #[session(name = "__Host-a", path = "/x")]
                struct A {}
            ),
            "expected `path = \"/\"`",
        ),
    ];
    for (input, expected) in cases {
        let error = error(&input);
        assert!(
            error.contains(expected),
            "{error:?} should contain {expected:?}"
        );
    }
    // `path = "/"` and `partitioned = false` are fine on a `__Host-` cookie: one error.
    let host: DeriveInput = syn::parse_quote!(
        #[session(name = "__Host-a", path = "/", partitioned = false, secure = false)]
        struct A {}
    );
    assert!(error(&host).contains("`__Host-`"));
}

#[test]
fn shapes() {
    let cases: [(DeriveInput, &str); 5] = [
        (
            syn::parse_quote!(
                struct A(u8);
            ),
            "found a tuple struct",
        ),
        (
            syn::parse_quote!(
                struct A;
            ),
            "found a unit struct",
        ),
        (syn::parse_quote!(union A { a: u8 }), "found a union"),
        (
            syn::parse_quote!(
                struct A<T> {
                    a: T,
                }
            ),
            "without generic parameters",
        ),
        (
            syn::parse_quote!(
                struct A<'a> {
                    a: &'a str,
                }
            ),
            "without generic parameters",
        ),
    ];
    for (input, expected) in cases {
        let error = error(&input);
        assert!(
            error.contains(expected),
            "{error:?} should contain {expected:?}"
        );
    }
}

#[test]
fn field_attribute_errors() {
    let cases: [(DeriveInput, &str); 7] = [
        (
            syn::parse_quote!(
                struct A {
                    #[session(flash, readonly)]
                    a: Vec<u8>,
                }
            ),
            "`readonly` conflicts with `flash`",
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(skip)]
                    #[session(flash)]
                    a: Vec<u8>,
                }
            ),
            "`flash` conflicts with `skip`",
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(skip, skip)]
                    a: u8,
                }
            ),
            "duplicate field attribute `skip`",
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(flahs)]
                    a: u8,
                }
            ),
            "unknown field attribute `flahs`",
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(name = "x")]
                    a: u8,
                }
            ),
            "`name` is a container attribute",
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(flash = true)]
                    a: Vec<u8>,
                }
            ),
            "expected `flash` without a value",
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(flash)]
                    a: std::collections::HashMap<u8, u8>,
                }
            ),
            "expected `Vec<_>` or `Option<_>`",
        ),
    ];
    for (input, expected) in cases {
        let error = error(&input);
        assert!(
            error.contains(expected),
            "{error:?} should contain {expected:?}"
        );
    }
}

#[test]
fn accessor_collisions() {
    let reserved: DeriveInput = syn::parse_quote!(
        struct A {
            save: bool,
        }
    );
    assert!(error(&reserved).starts_with(
        "field `save` would generate `save()`, which collides with the session method"
    ));
    let setter: DeriveInput = syn::parse_quote!(
        struct A {
            persistent: bool,
        }
    );
    let error_text = error(&setter);
    assert!(error_text.contains("`set_persistent()`"), "{error_text}");
    assert!(
        error_text.contains("`#[session(readonly)]`"),
        "{error_text}"
    );
    let readonly: DeriveInput = syn::parse_quote!(
        struct A {
            #[session(readonly)]
            persistent: bool,
        }
    );
    assert_eq!(errors(&readonly), Vec::<String>::new());
    let between: DeriveInput = syn::parse_quote!(
        struct A {
            theme: u8,
            set_theme: u8,
        }
    );
    let error_text = error(&between);
    assert!(
        error_text.contains("collides with the accessor of field `theme`"),
        "{error_text}"
    );
    assert!(
        error_text.contains("`#[serde(rename = \"set_theme\")]`"),
        "{error_text}"
    );
}

#[test]
fn the_default_name_must_be_a_token() {
    let input: DeriveInput = syn::parse_quote!(
        struct Été {}
    );
    let error_text = error(&input);
    assert!(
        error_text.starts_with("invalid character `é` in cookie name"),
        "{error_text}"
    );
    assert!(
        error_text.ends_with("(`été`), set another one with `#[session(name = \"...\")]`"),
        "{error_text}"
    );
    let named: DeriveInput = syn::parse_quote!(
        #[session(name = "ete")]
        struct Été {}
    );
    assert_eq!(errors(&named), Vec::<String>::new());
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
        "pubfntake_n(&self)->u8",
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
