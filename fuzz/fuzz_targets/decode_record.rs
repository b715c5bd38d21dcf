#![no_main]
//! `decode_record`: the properties are in `sessions::__fuzz::decode_record`, shared with the
//! corpus replay of `cargo test -p sessions`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessions::__fuzz::decode_record(data));
