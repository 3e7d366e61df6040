//! The strict decoder: one test per refusal, each asserting its exact code,
//! plus acceptance, round trips and a no-panic property.

#![allow(clippy::panic, clippy::unwrap_used)] // test helpers outside #[test] functions

use jpki_reference::Code;
use jpki_reference::codec::{Fields, Limits, Value, decode_v0, encode, map, time_value, validate};
use jpki_reference::constants::{MAX_COLLECTION_ITEMS, MAX_DEPTH, MAX_MESSAGE_BYTES};
use proptest::prelude::*;

fn code_of(bytes: &[u8]) -> Code {
    match decode_v0(bytes) {
        Ok(v) => panic!("accepted {} as {v:?}", hex::encode(bytes)),
        Err(e) => e.code,
    }
}

fn h(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap()
}

#[test]
fn accepts_deterministic_items() {
    // ENC-001: well-formed items of every type v0 uses.
    for ok in [
        "00",
        "17",
        "1818",
        "190100",
        "1a00010000",
        "1b0000000100000000",
        "20",
        "3818",
        "40",
        "4401020304",
        "60",
        "6161",
        "80",
        "83010203",
        "a0",
        "a201020304",
        "c11a5e0be100",
        "f4",
        "f5",
        "f6",
    ] {
        assert!(decode_v0(&h(ok)).is_ok(), "{ok}");
    }
}

#[test]
fn refuses_non_shortest_integer() {
    // ENC-002
    assert_eq!(code_of(&h("1805")), Code::NonShortestInt);
    assert_eq!(code_of(&h("190017")), Code::NonShortestInt);
    assert_eq!(code_of(&h("1a0000ffff")), Code::NonShortestInt);
    assert_eq!(code_of(&h("1b00000000ffffffff")), Code::NonShortestInt);
    assert_eq!(code_of(&h("3800")), Code::NonShortestInt);
    // a tag number is an integer too
    assert_eq!(code_of(&h("d80100")), Code::NonShortestInt);
}

#[test]
fn refuses_non_shortest_length() {
    // ENC-003
    assert_eq!(code_of(&h("580100")), Code::NonShortestLength);
    assert_eq!(code_of(&h("79000161")), Code::NonShortestLength);
    assert_eq!(code_of(&h("980100")), Code::NonShortestLength);
    assert_eq!(code_of(&h("b8010000")), Code::NonShortestLength);
}

#[test]
fn refuses_indefinite_length() {
    // ENC-004
    assert_eq!(code_of(&h("9f01ff")), Code::IndefiniteLength);
    assert_eq!(code_of(&h("5f4101ff")), Code::IndefiniteLength);
    assert_eq!(code_of(&h("7f6161ff")), Code::IndefiniteLength);
    assert_eq!(code_of(&h("bf0101ff")), Code::IndefiniteLength);
}

#[test]
fn refuses_unsorted_map_keys() {
    // ENC-005: bytewise order of encodings, so 1 (0x01) sorts before -1 (0x20)
    assert_eq!(code_of(&h("a2020001 00")), Code::UnsortedMapKeys);
    assert_eq!(code_of(&h("a2200001 00")), Code::UnsortedMapKeys);
    assert_eq!(code_of(&h("a2616200 616100")), Code::UnsortedMapKeys);
    assert!(decode_v0(&h("a2010020 00")).is_ok());
}

#[test]
fn refuses_duplicate_map_key() {
    // ENC-006: adjacent and non-adjacent repeats both name the duplicate
    assert_eq!(code_of(&h("a2010001 01")), Code::DuplicateMapKey);
    assert_eq!(code_of(&h("a3010002 000100")), Code::DuplicateMapKey);
}

#[test]
fn refuses_trailing_bytes() {
    // ENC-007
    assert_eq!(code_of(&h("0101")), Code::TrailingBytes);
    assert_eq!(code_of(&h("a000")), Code::TrailingBytes);
}

#[test]
fn refuses_nesting_deeper_than_max_depth() {
    // ENC-008: the top-level item is depth 1
    let nested = |arrays: usize| {
        let mut bytes = vec![0x81; arrays];
        bytes.push(0x00);
        bytes
    };
    assert!(decode_v0(&nested(MAX_DEPTH - 1)).is_ok());
    assert_eq!(code_of(&nested(MAX_DEPTH)), Code::TooDeep);
    assert_eq!(code_of(&nested(10_000)), Code::TooDeep);
    // tags count towards depth as well
    let mut tags = vec![0xc1; MAX_DEPTH];
    tags.push(0x00);
    assert_eq!(code_of(&tags), Code::TooDeep);
}

#[test]
fn refuses_oversized_input_and_collections() {
    // ENC-009
    let mut big = vec![0x5a];
    big.extend_from_slice(&(MAX_MESSAGE_BYTES as u32).to_be_bytes());
    big.resize(5 + MAX_MESSAGE_BYTES, 0);
    assert_eq!(code_of(&big), Code::TooLarge);
    let mut array = vec![0x98, (MAX_COLLECTION_ITEMS + 1) as u8];
    array.resize(2 + MAX_COLLECTION_ITEMS + 1, 0);
    assert_eq!(code_of(&array), Code::TooLarge);
    // a declared length beyond every bound, found before anything is allocated
    assert_eq!(code_of(&h("5b7fffffffffffffff")), Code::TooLarge);
    assert_eq!(code_of(&h("5a7fffffff")), Code::TooLarge);
    // a length within bounds but beyond the input is truncation
    assert_eq!(code_of(&h("59ffff00")), Code::Malformed);
    // custom limits apply too
    let tight = Limits { max_bytes: 4, max_depth: 2, max_items: 2, deterministic: true, sorted_keys: true };
    assert_eq!(validate(&h("4400000000"), &tight).unwrap_err().code, Code::TooLarge);
    assert_eq!(validate(&h("83010203"), &tight).unwrap_err().code, Code::TooLarge);
}

#[test]
fn refuses_invalid_utf8() {
    // ENC-010
    assert_eq!(code_of(&h("62c328")), Code::InvalidUtf8);
    assert_eq!(code_of(&h("63eda080")), Code::InvalidUtf8); // an encoded lone surrogate
}

#[test]
fn refuses_types_v0_does_not_use() {
    // ENC-011: floats of every width, undefined, other simple values, bignums
    for bytes in ["f93c00", "fa47c35000", "fb3ff199999999999a", "f7", "f0", "f8ff", "c24105", "c34105"] {
        assert_eq!(code_of(&h(bytes)), Code::UnsupportedType, "{bytes}");
    }
}

#[test]
fn refuses_malformed_items() {
    // ENC-001: truncation, reserved additional info, stray break, short simple value
    for bytes in ["", "19", "1901", "430102", "1c", "3d", "ff", "f818", "81", "a101"] {
        assert_eq!(code_of(&h(bytes)), Code::Malformed, "{bytes}");
    }
}

#[test]
fn refuses_unknown_field_in_a_message_map() {
    // ENC-013: a field reader refuses any key it was not asked for
    let value = decode_v0(&h("a2 01 01 02 02")).unwrap();
    let mut fields = Fields::open("Example", value).unwrap();
    assert_eq!(fields.uint(1, "one").unwrap(), 1);
    assert_eq!(fields.finish().unwrap_err().code, Code::UnknownField);
}

#[test]
fn times_are_tag_1_whole_seconds() {
    // ENC-015
    let read = |value: Value| Fields::open("T", map(vec![(1, value)])).unwrap().time(1, "t");
    assert_eq!(read(time_value(1_700_000_000)).unwrap(), 1_700_000_000);
    let bare = Value::Integer(1_700_000_000u64.into());
    assert_eq!(read(bare).unwrap_err().code, Code::Malformed);
    let tag0 = Value::Tag(0, Box::new(Value::Text("2023-11-14T22:13:20Z".into())));
    assert_eq!(read(tag0).unwrap_err().code, Code::Malformed);
    let text_in_tag1 = Value::Tag(1, Box::new(Value::Text("1700000000".into())));
    assert_eq!(read(text_in_tag1).unwrap_err().code, Code::Malformed);
}

#[test]
fn encoder_sorts_keys_and_round_trips() {
    // ENC-014: out-of-order input map, deterministic output, identical re-encoding
    let value = Value::Map(vec![
        (Value::Text("b".into()), Value::Integer(1.into())),
        (Value::Integer((-1).into()), Value::Integer(500.into())),
        (Value::Integer(10.into()), Value::Bytes(vec![1, 2])),
    ]);
    let bytes = encode(&value).unwrap();
    assert_eq!(hex::encode(&bytes), "a30a42010220 1901f4 616201".replace(' ', ""));
    let again = encode(&decode_v0(&bytes).unwrap()).unwrap();
    assert_eq!(again, bytes);
    let dup = Value::Map(vec![(Value::Integer(1.into()), Value::Null), (Value::Integer(1.into()), Value::Null)]);
    assert_eq!(encode(&dup).unwrap_err().code, Code::DuplicateMapKey);
    assert_eq!(encode(&Value::Float(1.5)).unwrap_err().code, Code::UnsupportedType);
}

fn value_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<u64>().prop_map(|i| Value::Integer(i.into())),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        "\\PC{0,20}".prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(any::<i32>(), inner.clone(), 0..8)
                .prop_map(|m| Value::Map(m.into_iter().map(|(k, v)| (Value::Integer(k.into()), v)).collect())),
            (4u64..100_000, inner).prop_map(|(t, v)| Value::Tag(t, Box::new(v))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encoder_output_is_always_accepted_and_stable(value in value_tree()) {
        // ENC-014
        let bytes = encode(&value).unwrap();
        let decoded = decode_v0(&bytes).unwrap();
        prop_assert_eq!(encode(&decoded).unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        // ENC-016: any input gets a verdict, and a refusal is a registry code
        if let Err(e) = decode_v0(&bytes) {
            prop_assert!(Code::ALL.contains(&e.code));
        }
    }

    #[test]
    fn mutated_valid_messages_never_panic(value in value_tree(), index in any::<usize>(), byte in any::<u8>()) {
        // ENC-016: single-byte corruptions of valid encodings
        let mut bytes = encode(&value).unwrap();
        let at = index % bytes.len();
        bytes[at] = byte;
        let _ = decode_v0(&bytes);
    }
}
