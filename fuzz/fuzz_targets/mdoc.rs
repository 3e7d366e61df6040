//! Fuzz target `mdoc`: the body is `jpki_conformance::fuzzing::mdoc`
//! (documented there), shared with the regression replay under `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jpki_conformance::fuzzing::mdoc(data));
