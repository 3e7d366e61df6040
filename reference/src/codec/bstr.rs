//! Serde helpers that write byte fields as CBOR byte strings (`bstr`), the
//! form `spec/observation.cddl` names, instead of serde's default array of
//! integers: single values, optional values, lists, and maps keyed by bytes.
//! Used as `#[serde(with = "crate::codec::bstr::one")]` and so on, by the
//! observation form (`spec/observation.cddl`) and the records it holds.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// A borrowed byte string that serialises as `bstr`.
struct Out<'a>(&'a [u8]);

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// An owned byte string read from a `bstr` (never from an array).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct In(Vec<u8>);

impl<'de> Deserialize<'de> for In {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl Visitor<'_> for Bytes {
            type Value = In;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<In, E> {
                Ok(In(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<In, E> {
                Ok(In(v))
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

fn sized<T: TryFrom<Vec<u8>>, E: de::Error>(bytes: In) -> Result<T, E> {
    let length = bytes.0.len();
    T::try_from(bytes.0).map_err(|_| E::custom(format!("a byte string of the wrong length ({length} bytes)")))
}

/// One byte string: `Vec<u8>` or `[u8; N]`.
pub mod one {
    use super::*;

    /// Writes `value` as a `bstr`.
    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        Out(value.as_ref()).serialize(serializer)
    }

    /// Reads a `bstr` of the type's length.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(deserializer: D) -> Result<T, D::Error> {
        sized(In::deserialize(deserializer)?)
    }
}

/// An optional byte string: `bstr / null`.
pub mod option {
    use super::*;

    /// Writes `value` as a `bstr`, or `null`.
    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        value.as_ref().map(|v| Out(v.as_ref())).serialize(serializer)
    }

    /// Reads a `bstr` of the type's length, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(deserializer: D) -> Result<Option<T>, D::Error> {
        Option::<In>::deserialize(deserializer)?.map(sized).transpose()
    }
}

/// A list of byte strings: `[* bstr]`.
pub mod list {
    use super::*;

    /// Writes each item as a `bstr`.
    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(value: &[T], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(value.iter().map(|v| Out(v.as_ref())))
    }

    /// Reads a list of `bstr`.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<Vec<u8>>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        Vec::<In>::deserialize(deserializer)?.into_iter().map(sized).collect()
    }
}

/// A map keyed by byte strings: `{ * bstr => value }`.
pub mod keyed {
    use super::*;

    /// Writes each key as a `bstr`.
    pub fn serialize<S: Serializer, K: AsRef<[u8]>, V: Serialize>(
        value: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(value.iter().map(|(k, v)| (Out(k.as_ref()), v)))
    }

    /// Reads a map keyed by `bstr`.
    pub fn deserialize<'de, D, K, V>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: TryFrom<Vec<u8>> + Ord,
        V: Deserialize<'de>,
    {
        BTreeMap::<In, V>::deserialize(deserializer)?.into_iter().map(|(k, v)| Ok((sized(k)?, v))).collect()
    }
}
