//! The strict decoder on arbitrary bytes: never panics, and whatever it
//! accepts re-encodes to exactly the same bytes (ENC-014, ENC-016).
#![no_main]

use jpki_reference::codec::{decode_v0, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = decode_v0(data) {
        let again = encode(&value).expect("an accepted value re-encodes");
        assert_eq!(again, data, "accepted input is not deterministic");
    }
});
