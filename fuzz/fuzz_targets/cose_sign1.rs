//! COSE_Sign1 decoding on arbitrary bytes: never panics (ENC-016).
#![no_main]

use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sign1) = decode_sign1(data, &Limits::V0) {
        let _ = sign1.x5chain();
    }
});
