//! Fuzz target `status_list`: the body is `jpki_conformance::fuzzing::status_list`
//! (documented there), shared with the regression replay under `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jpki_conformance::fuzzing::status_list(data));
