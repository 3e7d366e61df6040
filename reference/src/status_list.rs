//! Status lists (spec/use.md §5, STL-001 … STL-007), in the manner of the
//! IETF Token Status List (draft-ietf-oauth-status-list): a byte array of
//! `bits` bits per entry, entry `i` at bit offset `i·bits` counting from the
//! least significant bit of the first byte, compressed with ZLIB (RFC 1950),
//! carried as `{"bits": n, "lst": bytes}` in a COSE_Sign1 by the status
//! signer, one token per chunk of [`LIST_CHUNK_ENTRIES`] entries.
//!
//! A list read is not a use: the "used" notification still comes from the
//! per-use query (STA-004, STL-007).

use crate::codec::cose_sign1::{SignOptions, open, sign1};
use crate::codec::{Limits, Value};
use crate::constants::{CLOCK_SKEW_SECS, LIST_CHUNK_ENTRIES, STATUS_FRESHNESS_SECS};
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::msgs::status::CertStatus;
use crate::pki::{Credential, Purpose, TrustAnchor, validate_chain};
use crate::time::UnixTime;

/// An entry's value for a good certificate (the draft's VALID).
pub const VALID: u8 = 0;
/// … for a revoked one (INVALID).
pub const INVALID: u8 = 1;
/// … for one on hold (SUSPENDED).
pub const SUSPENDED: u8 = 2;
/// The bits per entry of Status's own lists (three values need two).
pub const STATUS_BITS: u8 = 2;

/// CWT claim keys of a status-list token's payload.
const CLAIM_SUB: i64 = 2;
const CLAIM_EXP: i64 = 4;
const CLAIM_IAT: i64 = 6;
const CLAIM_TTL: i64 = 65534;
const CLAIM_STATUS_LIST: i64 = 65533;

/// The entry value of a certificate status (STL-002).
pub fn value_of(status: &CertStatus) -> u8 {
    match status {
        CertStatus::Good => VALID,
        CertStatus::Revoked { .. } => INVALID,
        CertStatus::Suspended => SUSPENDED,
    }
}

/// The `sub` claim naming a chunk.
pub fn chunk_name(chunk: u64) -> String {
    format!("jpki-status-list/{chunk}")
}

/// An uncompressed status list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::ListMalformed, detail.into())
}

impl StatusList {
    /// `entries` entries of `bits` bits, all 0 (VALID).
    pub fn new(bits: u8, entries: u64) -> Result<Self> {
        if !matches!(bits, 1 | 2 | 4 | 8) {
            return Err(malformed(format!("{bits} bits per entry: 1, 2, 4 or 8")));
        }
        let bytes = entries
            .checked_mul(u64::from(bits))
            .and_then(|b| usize::try_from(b.div_ceil(8)).ok())
            .ok_or(Error::new(Code::TooLarge, "list too long"))?;
        Ok(StatusList { bits, bytes: vec![0; bytes] })
    }

    /// A list of `values`, `bits` bits each.
    pub fn from_values(bits: u8, values: &[u8]) -> Result<Self> {
        let mut list = StatusList::new(bits, values.len() as u64)?;
        for (index, value) in values.iter().enumerate() {
            list.set(index as u64, *value)?;
        }
        Ok(list)
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The uncompressed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many entries the bytes hold.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8 / u64::from(self.bits)
    }

    /// Whether the list holds no entry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Where entry `index` sits: its byte and its shift from the least
    /// significant bit (STL-002).
    fn place(&self, index: u64) -> Option<(usize, u32)> {
        let bit = index.checked_mul(u64::from(self.bits))?;
        let byte = usize::try_from(bit / 8).ok().filter(|b| *b < self.bytes.len())?;
        Some((byte, (bit % 8) as u32))
    }

    /// The index whose place, counted from the most significant bit of its
    /// byte, `index` has counted from the least: the order a built-in
    /// mutant writes in.
    pub fn mirrored(&self, index: u64) -> u64 {
        let per_byte = u64::from(8 / self.bits);
        index - index % per_byte + (per_byte - 1 - index % per_byte)
    }

    fn mask(&self) -> u8 {
        (((1u16) << self.bits) - 1) as u8
    }

    /// Entry `index`, or `None` past the end.
    pub fn get(&self, index: u64) -> Option<u8> {
        let (byte, shift) = self.place(index)?;
        Some((self.bytes[byte] >> shift) & self.mask())
    }

    /// Sets entry `index` to `value`.
    pub fn set(&mut self, index: u64, value: u8) -> Result<()> {
        if value > self.mask() {
            return Err(Error::with_detail(Code::Malformed, format!("{value} does not fit {} bits", self.bits)));
        }
        let (byte, shift) = self.place(index).ok_or(Error::new(Code::ListMismatch, "index past the list's end"))?;
        let mask = self.mask() << shift;
        self.bytes[byte] = (self.bytes[byte] & !mask) | (value << shift);
        Ok(())
    }

    /// `{"bits": n, "lst": zlib(bytes)}` (STL-002).
    pub fn to_value(&self) -> Value {
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&self.bytes, 9);
        Value::Map(vec![
            // deterministic order: the shorter key's encoding first
            (Value::Text("lst".into()), Value::Bytes(compressed)),
            (Value::Text("bits".into()), Value::Integer(self.bits.into())),
        ])
    }

    /// The deterministic encoding of [`StatusList::to_value`].
    pub fn encode(&self) -> Result<Vec<u8>> {
        crate::codec::encode(&self.to_value())
    }

    /// Reads a StatusList value, inflating at most `max_bytes` (STL-003).
    pub fn from_value(value: Value, max_bytes: usize) -> Result<Self> {
        let Value::Map(pairs) = value else { return Err(malformed("a StatusList is a map")) };
        let (mut bits, mut lst) = (None, None);
        for (key, value) in pairs {
            match (key.as_text(), value) {
                (Some("bits"), Value::Integer(n)) if bits.is_none() => bits = u8::try_from(n).ok().or(Some(0)),
                (Some("lst"), Value::Bytes(b)) if lst.is_none() => lst = Some(b),
                (Some(name), _) => return Err(malformed(format!("key {name:?}: unknown, repeated or mistyped"))),
                (None, _) => return Err(malformed("a StatusList's keys are text")),
            }
        }
        let bits = bits.ok_or(malformed("no \"bits\""))?;
        let lst = lst.ok_or(malformed("no \"lst\""))?;
        let mut list = StatusList::new(bits, 0)?;
        list.bytes = inflate(&lst, max_bytes)?;
        Ok(list)
    }

    /// Strictly decodes an encoded StatusList (STL-003).
    pub fn decode(bytes: &[u8], max_bytes: usize) -> Result<Self> {
        StatusList::from_value(crate::codec::decode(bytes, &Limits::V0)?, max_bytes)
    }
}

/// One complete ZLIB stream, inflated to at most `max_bytes` (STL-003):
/// a bad header, a bad Adler-32, a truncated stream, bytes after its end or
/// a larger output are refused.
pub fn inflate(compressed: &[u8], max_bytes: usize) -> Result<Vec<u8>> {
    use miniz_oxide::inflate::TINFLStatus;
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut out = vec![0u8; max_bytes];
    let mut state = DecompressorOxide::new();
    let (status, read, written) = decompress(&mut state, compressed, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if read == compressed.len() => {
            out.truncate(written);
            Ok(out)
        }
        TINFLStatus::Done => Err(malformed("bytes after the ZLIB stream")),
        TINFLStatus::HasMoreOutput => Err(malformed(format!("inflates to more than {max_bytes} bytes"))),
        other => Err(malformed(format!("not one complete ZLIB stream: {other:?}"))),
    }
}

/// The most bytes one chunk's list inflates to: 8 bits for each entry.
pub const MAX_CHUNK_BYTES: usize = LIST_CHUNK_ENTRIES as usize;

/// A status-list token's payload, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListToken {
    /// The chunk it states.
    pub chunk: u64,
    /// When it was made.
    pub issued_at: UnixTime,
    /// When it stops being usable.
    pub expires: UnixTime,
    /// How long a reader may cache it, in seconds.
    pub ttl: u64,
    /// The list.
    pub list: StatusList,
}

impl ListToken {
    /// The CWT-style claims map (STL-004).
    pub fn to_value(&self) -> Value {
        let int = |n: u64| Value::Integer(n.into());
        crate::codec::map(vec![
            (CLAIM_SUB, Value::Text(chunk_name(self.chunk))),
            (CLAIM_EXP, int(self.expires)),
            (CLAIM_IAT, int(self.issued_at)),
            (CLAIM_STATUS_LIST, self.list.to_value()),
            (CLAIM_TTL, int(self.ttl)),
        ])
    }

    /// Strictly reads a token's payload (STL-003, STL-004).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut fields = crate::codec::Fields::open("StatusListPayload", crate::codec::decode(bytes, &Limits::V0)?)?;
        let sub = fields.text(CLAIM_SUB, "sub", 64)?;
        let chunk = sub
            .strip_prefix("jpki-status-list/")
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| chunk_name(*n) == sub)
            .ok_or(malformed(format!("sub {sub:?} names no chunk")))?;
        let expires = fields.uint(CLAIM_EXP, "exp")?;
        let issued_at = fields.uint(CLAIM_IAT, "iat")?;
        let ttl = fields.uint(CLAIM_TTL, "ttl")?;
        let list = StatusList::from_value(fields.required(CLAIM_STATUS_LIST, "status_list")?, MAX_CHUNK_BYTES)?;
        fields.finish()?;
        Ok(ListToken { chunk, issued_at, expires, ttl, list })
    }
}

/// Signs one chunk's token at `now` (STL-004): usable until
/// `now + STATUS_FRESHNESS_SECS`, like a per-query answer.
pub fn sign_chunk(
    provider: &dyn CryptoProvider,
    signer: &Credential,
    chunk: u64,
    list: StatusList,
    now: UnixTime,
) -> Result<Vec<u8>> {
    let token = ListToken {
        chunk,
        issued_at: now,
        expires: crate::time::later(now, STATUS_FRESHNESS_SECS)?,
        ttl: STATUS_FRESHNESS_SECS,
        list,
    };
    let payload = crate::codec::encode(&token.to_value())?;
    let chain = [signer.cert.clone()];
    sign1(provider, &signer.key.secret, &payload, &SignOptions { x5chain: &chain, external_aad: b"" })
}

/// A reader's acceptance of one chunk's token (STL-003, STL-005, STL-006):
/// signed by a status signer under `anchor`, issued no later than
/// `CLOCK_SKEW_SECS` ahead of `now`, not expired, stating the chunk asked
/// for with exactly `LIST_CHUNK_ENTRIES` entries.
pub fn open_chunk(
    provider: &dyn CryptoProvider,
    anchor: &TrustAnchor,
    token: &[u8],
    chunk: u64,
    now: UnixTime,
) -> Result<ListToken> {
    let opened = open(token, &Limits::V0, ListToken::decode, |signed| {
        let signer = validate_chain(provider, &signed.x5chain()?, anchor, Purpose::StatusSigning, now)?;
        signed.verify(provider, &signer.public_key, b"")
    })?;
    let token = opened.payload;
    if token.issued_at > now.saturating_add(CLOCK_SKEW_SECS) || now >= token.expires {
        return Err(Error::with_detail(
            Code::ListStale,
            format!("issued {}, expires {}, now {now}", token.issued_at, token.expires),
        ));
    }
    if token.chunk != chunk || token.list.len() != LIST_CHUNK_ENTRIES {
        return Err(Error::with_detail(
            Code::ListMismatch,
            format!("chunk {} of {} entries, asked for chunk {chunk}", token.chunk, token.list.len()),
        ));
    }
    Ok(token)
}

#[cfg(test)]
// test code: every unwrap is on a fixed fixture built here, never on input
mod tests {
    use super::*;

    #[test]
    fn the_drafts_one_bit_example_reads_lsb_first() {
        // STL-002: the draft's 1-bit example, statuses 1 0 0 1 1 1 0 1 | 1 1 0 0 0 1 0 1
        let values = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
        let list = StatusList::from_values(1, &values).unwrap();
        assert_eq!(list.bytes(), &[0xb9, 0xa3]);
        let two = StatusList::from_values(2, &[1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]).unwrap();
        assert_eq!(two.bytes(), &[0xc9, 0x44, 0xf9]);
    }

    #[test]
    fn inflation_is_bounded_and_whole() {
        // STL-003
        let list = StatusList::new(8, 100).unwrap();
        let Value::Map(pairs) = list.to_value() else { panic!() };
        let Value::Bytes(lst) = pairs[0].1.clone() else { panic!() };
        assert_eq!(inflate(&lst, 100).unwrap().len(), 100);
        assert_eq!(inflate(&lst, 99).unwrap_err().code, Code::ListMalformed);
        let mut trailing = lst.clone();
        trailing.push(0);
        assert_eq!(inflate(&trailing, 100).unwrap_err().code, Code::ListMalformed);
        let mut bad_adler = lst.clone();
        *bad_adler.last_mut().unwrap() ^= 1;
        assert_eq!(inflate(&bad_adler, 100).unwrap_err().code, Code::ListMalformed);
        assert_eq!(inflate(&lst[..lst.len() - 1], 100).unwrap_err().code, Code::ListMalformed);
    }

    #[test]
    fn only_one_two_four_or_eight_bits() {
        for bits in [0, 3, 5, 16] {
            assert_eq!(StatusList::new(bits, 8).unwrap_err().code, Code::ListMalformed);
        }
    }
}

#[cfg(test)]
// test code: every unwrap is on a fixed fixture built here, never on input
mod token_tests {
    use super::*;
    use crate::world::World;

    #[test]
    fn a_reader_refuses_a_stale_or_mismatched_or_wrongly_signed_token() {
        // STL-004 … STL-006
        let world = World::new([9; 32]).unwrap();
        let (provider, anchor, now) = (world.provider(), world.mobile_anchor().clone(), world.now());
        let list = StatusList::new(STATUS_BITS, LIST_CHUNK_ENTRIES).unwrap();
        let token = sign_chunk(provider, &world.pki().status_signer, 3, list.clone(), now).unwrap();
        let read = open_chunk(provider, &anchor, &token, 3, now).unwrap();
        assert_eq!((read.chunk, read.issued_at, read.expires, read.list.len()), (3, now, now + 300, 65_536));
        assert_eq!(open_chunk(provider, &anchor, &token, 4, now).unwrap_err().code, Code::ListMismatch);
        assert_eq!(open_chunk(provider, &anchor, &token, 3, now + 300).unwrap_err().code, Code::ListStale);
        assert!(open_chunk(provider, &anchor, &token, 3, now + 299).is_ok());
        assert_eq!(open_chunk(provider, &anchor, &token, 3, now - 61).unwrap_err().code, Code::ListStale);
        assert!(open_chunk(provider, &anchor, &token, 3, now - 60).is_ok());
        // a short list is not a chunk
        let short = sign_chunk(provider, &world.pki().status_signer, 3, StatusList::new(2, 8).unwrap(), now).unwrap();
        assert_eq!(open_chunk(provider, &anchor, &short, 3, now).unwrap_err().code, Code::ListMismatch);
        // signed by a key whose certificate is not the status signer's: refused by its chain's purpose
        let verifier = world.verifier(crate::world::GOV_RP).unwrap().credential.clone();
        let forged = sign_chunk(provider, &verifier, 3, list, now).unwrap();
        assert_eq!(open_chunk(provider, &anchor, &forged, 3, now).unwrap_err().code, Code::WrongPurpose);
    }

    #[test]
    fn the_mirrored_place_is_the_other_end_of_the_byte() {
        let two = StatusList::new(2, 8).unwrap();
        assert_eq!((0..8).map(|i| two.mirrored(i)).collect::<Vec<_>>(), [3, 2, 1, 0, 7, 6, 5, 4]);
        let eight = StatusList::new(8, 2).unwrap();
        assert_eq!((eight.mirrored(0), eight.mirrored(1)), (0, 1));
    }
}
