//! Which errors a struct gets, on which tokens.

use syn::DeriveInput;

use super::{error, errors, expansion};

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
             `http_only`, `same_site`, `partitioned`, `store`, `on_conflict`, `max_per_owner`",
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
            "unknown field attribute `flahs`, expected `flash`, `skip`, `readonly` or `owner`",
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
fn at_most_one_owner() {
    let input: DeriveInput = syn::parse_quote!(
        struct A {
            #[session(owner)]
            user_id: Option<u64>,
            #[session(owner)]
            account: String,
            #[session(owner, readonly)]
            r#ref: u32,
        }
    );
    let second = "at most one field can be `#[session(owner)]`; the first is `user_id`";
    assert_eq!(errors(&input), [second, second]);
    let duplicate: DeriveInput = syn::parse_quote!(
        struct A {
            #[session(owner)]
            #[session(owner)]
            a: u64,
        }
    );
    assert_eq!(error(&duplicate), "duplicate field attribute `owner`");
}

#[test]
fn the_owner_is_neither_a_flash_nor_skipped() {
    let flash = "a flash is taken away when it is read, and the session would lose its owner";
    let skip = "`skip` generates nothing for the field, `owner` generates the session's \
                `owner()` from it; for an owner without a setter, use `readonly`";
    let cases: [(DeriveInput, String); 4] = [
        (
            syn::parse_quote!(
                struct A {
                    #[session(owner, flash)]
                    a: Option<u64>,
                }
            ),
            format!("`flash` conflicts with `owner` on the same field: {flash}"),
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(flash)]
                    #[session(owner)]
                    a: Vec<u64>,
                }
            ),
            format!("`owner` conflicts with `flash` on the same field: {flash}"),
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(owner, skip)]
                    a: u64,
                }
            ),
            format!("`skip` conflicts with `owner` on the same field: {skip}"),
        ),
        (
            syn::parse_quote!(
                struct A {
                    #[session(readonly, skip, owner)]
                    a: u64,
                }
            ),
            "`skip` conflicts with `readonly` on the same field, keep one of them".to_owned(),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(error(&input), expected);
    }
    let readonly: DeriveInput = syn::parse_quote!(
        struct A {
            #[session(readonly, owner)]
            a: u64,
            #[session(owner = true)]
            b: u64,
        }
    );
    assert_eq!(
        errors(&readonly),
        [
            "expected `owner` without a value",
            "at most one field can be `#[session(owner)]`; the first is `a`",
        ]
    );
    let on_struct: DeriveInput = syn::parse_quote!(
        #[session(owner)]
        struct A {}
    );
    assert_eq!(
        error(&on_struct),
        "`owner` is a field attribute, put it on a field"
    );
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
