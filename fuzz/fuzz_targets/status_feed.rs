//! Fuzz target `status_feed`: the body is `jpki_conformance::fuzzing::status_feed`
//! (documented there), shared with the regression replay under `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jpki_conformance::fuzzing::status_feed(data));
