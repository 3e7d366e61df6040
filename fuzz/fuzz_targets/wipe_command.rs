//! Fuzz target `wipe_command`: the body is `jpki_conformance::fuzzing::wipe_command`
//! (documented there), shared with the regression replay under `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jpki_conformance::fuzzing::wipe_command(data));
