#![no_main]
//! `open_envelope`: the properties are in `sessions::__fuzz::open_envelope`, shared with the
//! corpus replay of `cargo test -p sessions`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessions::__fuzz::open_envelope(data));
