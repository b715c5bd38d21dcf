// The expansion names every item by its absolute path: user items shadowing the
// prelude (and a local `sessions`-less `core`-like module) change nothing.
#![allow(dead_code, non_camel_case_types)]

use serde::{Deserialize, Serialize};

struct Result;
struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Box;
struct String;
struct Vec;
struct Send;
struct Sync;
struct Clone;
struct Default;
struct From;
struct Into;
struct Deref;
struct Debug;
struct Future;
struct Duration;
struct SessionData;
struct Handle;
trait Sized {}
mod core {}
mod std {}
mod http {}

type Text = ::std::string::String;

#[derive(sessions::Session, Serialize, Deserialize, ::core::default::Default)]
#[session(max_age = 60, same_site = "strict")]
pub struct User {
    pub theme: Text,
    pub id: ::core::option::Option<u64>,
    #[session(flash)]
    pub notices: ::std::vec::Vec<Text>,
    #[session(flash)]
    pub error: ::core::option::Option<Text>,
}

fn main() {}
