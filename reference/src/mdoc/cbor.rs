//! The CBOR forms ISO/IEC 18013-5 uses: maps with text keys, embedded CBOR
//! (tag 24), `tdate` (tag 0) and `full-date` (tag 1004). Decoding is the
//! v0 strict decoding with one rule relaxed, map key order (QUA-016).

use crate::codec::{self, Limits, Value};
use crate::error::{Code, Error, Result};
use crate::time::{CivilDate, DAY, UnixTime};

/// CBOR tag 24: an encoded data item carried in a bstr.
pub const TAG_EMBEDDED: u64 = 24;
/// CBOR tag 0: an RFC 3339 date-time string.
pub const TAG_TDATE: u64 = 0;
/// CBOR tag 1004: an RFC 3339 full-date string (RFC 8943).
pub const TAG_FULL_DATE: u64 = 1004;

/// Decodes one 18013-5 item: strict and bounded, map keys in any order (QUA-016).
pub fn decode(bytes: &[u8]) -> Result<Value> {
    codec::decode(bytes, &Limits::MDOC)
}

/// `#6.24(bstr .cbor value)`.
pub fn embed(value: &Value) -> Result<Value> {
    Ok(Value::Tag(TAG_EMBEDDED, Box::new(Value::Bytes(codec::encode(value)?))))
}

/// The bytes inside `#6.24(bstr)`.
pub fn embedded_bytes(value: Value, name: &str) -> Result<Vec<u8>> {
    match value {
        Value::Tag(TAG_EMBEDDED, inner) => match *inner {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(malformed(format!("{name}: tag 24 must hold a bstr"))),
        },
        _ => Err(malformed(format!("{name} must be embedded CBOR (tag 24)"))),
    }
}

/// The item inside `#6.24(bstr .cbor item)`, decoded, with its bytes.
pub fn unembed(value: Value, name: &str) -> Result<(Vec<u8>, Value)> {
    let bytes = embedded_bytes(value, name)?;
    let item = decode(&bytes)?;
    Ok((bytes, item))
}

pub(crate) fn malformed(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::Malformed, detail.into())
}

/// A text-keyed map, read entry by entry; what is left at the end is
/// refused unless the standard defines it and v0 does not use it.
#[derive(Debug)]
pub struct TextMap {
    name: &'static str,
    entries: Vec<(String, Option<Value>)>,
}

impl TextMap {
    /// Opens `value` as the map `name`; every key must be a tstr.
    pub fn open(name: &'static str, value: Value) -> Result<Self> {
        let Value::Map(pairs) = value else {
            return Err(malformed(format!("{name}: expected a map")));
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let Value::Text(key) = key else {
                return Err(malformed(format!("{name}: map keys are text")));
            };
            entries.push((key, Some(value)));
        }
        Ok(TextMap { name, entries })
    }

    /// Takes `key` if present.
    pub fn optional(&mut self, key: &str) -> Option<Value> {
        self.entries.iter_mut().find(|(k, _)| k == key).and_then(|(_, v)| v.take())
    }

    /// Takes `key`, refusing `malformed` when it is absent.
    pub fn required(&mut self, key: &str) -> Result<Value> {
        let name = self.name;
        self.optional(key).ok_or_else(|| malformed(format!("{name}: missing \"{key}\"")))
    }

    /// Takes a tstr of at most `max` bytes.
    pub fn text(&mut self, key: &str, max: usize) -> Result<String> {
        match self.required(key)? {
            Value::Text(text) if text.len() <= max => Ok(text),
            Value::Text(_) => Err(Error::with_detail(Code::TooLarge, format!("{}: \"{key}\" too long", self.name))),
            _ => Err(malformed(format!("{}: \"{key}\" must be a tstr", self.name))),
        }
    }

    /// Takes a bstr.
    pub fn bytes(&mut self, key: &str) -> Result<Vec<u8>> {
        match self.required(key)? {
            Value::Bytes(bytes) => Ok(bytes),
            _ => Err(malformed(format!("{}: \"{key}\" must be a bstr", self.name))),
        }
    }

    /// Takes a uint.
    pub fn uint(&mut self, key: &str) -> Result<u64> {
        as_uint(self.required(key)?).ok_or_else(|| malformed(format!("{}: \"{key}\" must be a uint", self.name)))
    }

    /// Ends reading: a key left over is refused (`unknown_field`) unless
    /// it is one of `tolerated` (members the standard defines that v0 does
    /// not read).
    pub fn finish(self, tolerated: &[&str]) -> Result<()> {
        match self.entries.iter().find(|(k, v)| v.is_some() && !tolerated.contains(&k.as_str())) {
            Some((key, _)) => {
                Err(Error::with_detail(Code::UnknownField, format!("{}: \"{key}\" is not read by v0", self.name)))
            }
            None => Ok(()),
        }
    }
}

/// A uint value.
pub fn as_uint(value: Value) -> Option<u64> {
    match value {
        Value::Integer(i) => u64::try_from(i128::from(i)).ok(),
        _ => None,
    }
}

/// A text-keyed map value from entries.
pub fn text_map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (Value::Text(k.to_owned()), v)).collect())
}

/// `tdate`: `#6.0("YYYY-MM-DDTHH:MM:SSZ")`.
pub fn tdate(secs: UnixTime) -> Value {
    let date = CivilDate::from_days_since_epoch((secs / DAY) as i64);
    let in_day = secs % DAY;
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year,
        date.month,
        date.day,
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    );
    Value::Tag(TAG_TDATE, Box::new(Value::Text(text)))
}

/// Reads a `tdate`: tag 0 around `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fraction).
pub fn read_tdate(value: Value, name: &str) -> Result<UnixTime> {
    let bad = || malformed(format!("{name} must be a tdate (tag 0, YYYY-MM-DDTHH:MM:SSZ)"));
    let Value::Tag(TAG_TDATE, inner) = value else { return Err(bad()) };
    let Value::Text(text) = *inner else { return Err(bad()) };
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].iter().all(|&i| b[i].is_ascii_digit());
    if !shape {
        return Err(bad());
    }
    let num = |from: usize, to: usize| text[from..to].parse::<u64>().map_err(|_| bad());
    let date = CivilDate::new(num(0, 4)? as u16, num(5, 7)? as u8, num(8, 10)? as u8).ok_or_else(bad)?;
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    let days = u64::try_from(date.days_since_epoch()).map_err(|_| bad())?;
    Ok(days * DAY + hour * 3600 + minute * 60 + second)
}

/// `full-date`: `#6.1004("YYYY-MM-DD")`.
pub fn full_date(date: CivilDate) -> Value {
    let text = format!("{:04}-{:02}-{:02}", date.year, date.month, date.day);
    Value::Tag(TAG_FULL_DATE, Box::new(Value::Text(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tdate_reads_back_and_a_loose_one_is_refused() {
        // QUA-016: tdate as 18013-5 writes it
        for secs in [0, 1_748_736_000, 1_601_559_002] {
            assert_eq!(read_tdate(tdate(secs), "t").map_err(|e| e.code), Ok(secs));
        }
        let loose = Value::Tag(TAG_TDATE, Box::new(Value::Text("2020-10-01T13:30:02.5Z".into())));
        assert_eq!(read_tdate(loose, "t").map_err(|e| e.code), Err(Code::Malformed));
        let untagged = Value::Text("2020-10-01T13:30:02Z".into());
        assert_eq!(read_tdate(untagged, "t").map_err(|e| e.code), Err(Code::Malformed));
    }
}
