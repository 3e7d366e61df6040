//! Fuzz target `http_body`: the body is `jpki_conformance::fuzzing::http_body`
//! (documented there), shared with the regression replay under `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jpki_conformance::fuzzing::http_body(data));
