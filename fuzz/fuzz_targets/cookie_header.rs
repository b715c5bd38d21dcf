#![no_main]
//! `cookie_header`: the properties are in `sessions::__fuzz::cookie_header`, shared with the
//! corpus replay of `cargo test -p sessions`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessions::__fuzz::cookie_header(data));
