//! The presentation's messages: the reader's request (a v0 map around an
//! 18013-5 DeviceRequest), the wallet's answer (a v0 map around a
//! DeviceResponse), what the reader accepted, and the SessionTranscript
//! both sides derive from the request (QUA-006, QUA-013).

use std::collections::BTreeMap;

use crate::codec::{Fields, Value, map, time_value};
use crate::error::{Code, Error, Result};
use crate::msgs::{Message, Nonce, bounded_text, bytes, text};
use crate::time::UnixTime;

use super::cbor::{self, TextMap, malformed, text_map};
use super::cose::MdocSign1;
use super::{DOC_TYPE, NAMESPACE};

/// The label that makes v0's online SessionTranscript its own.
pub const HANDOVER_LABEL: &str = "jpki-mobile-qualification-v0";

/// `MdocRequest = { 1 => rp-id, 2 => nonce, 3 => time, 4 => bstr .cbor DeviceRequest }`: reader → wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdocRequest {
    /// The reader (a verifier's rp id).
    pub rp_id: String,
    /// Fresh, single use (QUA-008).
    pub nonce: Nonce,
    /// When it was made.
    pub time: UnixTime,
    /// The encoded 18013-5 DeviceRequest.
    pub device_request: Vec<u8>,
}

impl Message for MdocRequest {
    const NAME: &'static str = "MdocRequest";

    fn to_value(&self) -> Value {
        map(vec![
            (1, text(&self.rp_id)),
            (2, bytes(&self.nonce)),
            (3, time_value(self.time)),
            (4, bytes(&self.device_request)),
        ])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(MdocRequest {
            rp_id: bounded_text(fields, 1, "rp id", 1, 64)?,
            nonce: fields.fixed_bytes(2, "nonce")?,
            time: fields.time(3, "time")?,
            device_request: fields.bytes(4, "device request")?,
        })
    }
}

/// `MdocPresentation = { 1 => nonce, 2 => bstr .cbor DeviceResponse }`: wallet → reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdocPresentation {
    /// The request's nonce.
    pub nonce: Nonce,
    /// The encoded 18013-5 DeviceResponse.
    pub device_response: Vec<u8>,
}

impl Message for MdocPresentation {
    const NAME: &'static str = "MdocPresentation";

    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.nonce)), (2, bytes(&self.device_response))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        Ok(MdocPresentation {
            nonce: fields.fixed_bytes(1, "nonce")?,
            device_response: fields.bytes(2, "device response")?,
        })
    }
}

/// `MdocReading = { 1 => docType, 2 => { + tstr => any }, 3 => status id }`:
/// what a reader accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct MdocReading {
    /// The doctype.
    pub doc_type: String,
    /// The released elements.
    pub elements: BTreeMap<String, Value>,
    /// The MSO's status identifier.
    pub status_id: Vec<u8>,
}

impl Message for MdocReading {
    const NAME: &'static str = "MdocReading";

    fn to_value(&self) -> Value {
        let elements = self.elements.iter().map(|(k, v)| (Value::Text(k.clone()), v.clone())).collect();
        map(vec![(1, text(&self.doc_type)), (2, Value::Map(elements)), (3, bytes(&self.status_id))])
    }

    fn read(fields: &mut Fields) -> Result<Self> {
        let doc_type = fields.text(1, "doc type", 128)?;
        let Value::Map(entries) = fields.required(2, "elements")? else {
            return Err(malformed("MdocReading: elements must be a map"));
        };
        let mut elements = BTreeMap::new();
        for (key, value) in entries {
            let Value::Text(key) = key else { return Err(malformed("MdocReading: element names are tstr")) };
            elements.insert(key, value);
        }
        Ok(MdocReading { doc_type, elements, status_id: fields.bytes(3, "status id")? })
    }
}

/// The reader's ask, as an HTTP body: `ItemsWanted = [1*5 tstr]`.
pub fn items_wanted_to_bytes(elements: &[String]) -> Result<Vec<u8>> {
    crate::codec::encode(&Value::Array(elements.iter().map(|e| Value::Text(e.clone())).collect()))
}

/// Reads `ItemsWanted`: 1 to 5 distinct element identifiers of the doctype.
pub fn items_wanted_from_bytes(body: &[u8]) -> Result<Vec<String>> {
    let Value::Array(items) = crate::codec::decode_v0(body)? else {
        return Err(malformed("ItemsWanted must be an array"));
    };
    let wanted = items
        .into_iter()
        .map(|item| match item {
            Value::Text(e) => Ok(e),
            _ => Err(malformed("ItemsWanted: element identifiers are tstr")),
        })
        .collect::<Result<Vec<String>>>()?;
    check_items_wanted(&wanted)?;
    Ok(wanted)
}

/// What a reader may ask for: 1 to 5 distinct element identifiers of the
/// qualification (spec/qualification.md §4).
pub fn check_items_wanted(elements: &[String]) -> Result<()> {
    let known = elements.iter().all(|e| super::mso::ELEMENTS.contains(&e.as_str()));
    let distinct = elements.iter().enumerate().all(|(i, e)| !elements[i + 1..].contains(e));
    if elements.is_empty() || !known || !distinct {
        return Err(malformed("ItemsWanted: 1 to 5 distinct element identifiers of the qualification"));
    }
    Ok(())
}

/// An `ItemsRequest`: the doctype and, per namespace, the elements asked
/// for with the reader's intent to retain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemsRequest {
    /// `docType`.
    pub doc_type: String,
    /// Namespace → element → intentToRetain.
    pub namespaces: BTreeMap<String, BTreeMap<String, bool>>,
}

impl ItemsRequest {
    /// The qualification elements `wanted`, not retained.
    pub fn qualification(wanted: &[String]) -> Self {
        let elements = wanted.iter().map(|e| (e.clone(), false)).collect();
        ItemsRequest { doc_type: DOC_TYPE.into(), namespaces: BTreeMap::from([(NAMESPACE.to_owned(), elements)]) }
    }

    fn to_value(&self) -> Value {
        let namespaces = self
            .namespaces
            .iter()
            .map(|(ns, elements)| {
                let elements = elements.iter().map(|(e, keep)| (Value::Text(e.clone()), Value::Bool(*keep)));
                (Value::Text(ns.clone()), Value::Map(elements.collect()))
            })
            .collect();
        text_map(vec![("docType", Value::Text(self.doc_type.clone())), ("nameSpaces", Value::Map(namespaces))])
    }

    fn from_value(value: Value) -> Result<Self> {
        let mut fields = TextMap::open("ItemsRequest", value)?;
        let doc_type = fields.text("docType", 128)?;
        let Value::Map(entries) = fields.required("nameSpaces")? else {
            return Err(malformed("ItemsRequest nameSpaces must be a map"));
        };
        let mut namespaces = BTreeMap::new();
        for (ns, elements) in entries {
            let (Value::Text(ns), Value::Map(elements)) = (ns, elements) else {
                return Err(malformed("ItemsRequest: tstr namespace to a map"));
            };
            let mut asked = BTreeMap::new();
            for (element, keep) in elements {
                let (Value::Text(element), Value::Bool(keep)) = (element, keep) else {
                    return Err(malformed("ItemsRequest: tstr element to bool"));
                };
                asked.insert(element, keep);
            }
            namespaces.insert(ns, asked);
        }
        fields.finish(&["requestInfo"])?;
        Ok(ItemsRequest { doc_type, namespaces })
    }

    /// Whether `element` of `namespace` is asked for.
    pub fn asks(&self, namespace: &str, element: &str) -> bool {
        self.namespaces.get(namespace).is_some_and(|e| e.contains_key(element))
    }
}

/// One `DocRequest` read.
#[derive(Clone, Debug, PartialEq)]
pub struct DocRequest {
    /// The items asked for.
    pub items: ItemsRequest,
    /// The encoded `#6.24(bstr .cbor ItemsRequest)` as received.
    pub items_tagged: Vec<u8>,
    /// The reader's authentication, if it sent one.
    pub reader_auth: Option<MdocSign1>,
}

/// Encodes a DeviceRequest asking for `items` (no reader authentication).
pub fn device_request(items: &ItemsRequest) -> Result<Vec<u8>> {
    let doc = text_map(vec![("itemsRequest", cbor::embed(&items.to_value())?)]);
    crate::codec::encode(&text_map(vec![
        ("version", Value::Text("1.0".into())),
        ("docRequests", Value::Array(vec![doc])),
    ]))
}

/// Reads a DeviceRequest (QUA-016).
pub fn read_device_request(bytes: &[u8]) -> Result<Vec<DocRequest>> {
    let mut fields = TextMap::open("DeviceRequest", cbor::decode(bytes)?)?;
    if fields.text("version", 8)? != "1.0" {
        return Err(malformed("DeviceRequest version is not 1.0"));
    }
    let Value::Array(docs) = fields.required("docRequests")? else {
        return Err(malformed("docRequests must be an array"));
    };
    fields.finish(&[])?;
    if docs.is_empty() {
        return Err(malformed("docRequests must not be empty"));
    }
    let mut out = Vec::new();
    for doc in docs {
        let mut doc = TextMap::open("DocRequest", doc)?;
        let tagged = doc.required("itemsRequest")?;
        let items_tagged = crate::codec::encode(&tagged)?;
        let (_, items) = cbor::unembed(tagged, "ItemsRequestBytes")?;
        let reader_auth = doc.optional("readerAuth").map(MdocSign1::from_value).transpose()?;
        doc.finish(&[])?;
        out.push(DocRequest { items: ItemsRequest::from_value(items)?, items_tagged, reader_auth });
    }
    Ok(out)
}

/// v0's online SessionTranscript, encoded:
/// `[null, null, ["jpki-mobile-qualification-v0", rp-id, nonce]]`.
pub fn session_transcript(rp_id: &str, nonce: &Nonce) -> Result<Vec<u8>> {
    let handover = Value::Array(vec![text(HANDOVER_LABEL), text(rp_id), bytes(nonce)]);
    crate::codec::encode(&Value::Array(vec![Value::Null, Value::Null, handover]))
}

/// An array's encoding from its items' encodings as they are (so that a
/// transcript received as bytes is signed over exactly those bytes).
fn raw_array(items: &[&[u8]]) -> Result<Vec<u8>> {
    let count = u8::try_from(items.len()).ok().filter(|n| *n < 24).ok_or_else(|| malformed("array too long"))?;
    let mut out = vec![0x80 | count];
    for item in items {
        out.extend_from_slice(item);
    }
    Ok(out)
}

fn embedded(inner: Vec<u8>) -> Result<Vec<u8>> {
    crate::codec::encode(&Value::Tag(cbor::TAG_EMBEDDED, Box::new(Value::Bytes(inner))))
}

/// `DeviceAuthenticationBytes`: `#6.24(bstr .cbor ["DeviceAuthentication",
/// SessionTranscript, DocType, DeviceNameSpacesBytes])`, the transcript and
/// the namespaces spliced in as encoded (QUA-006, QUA-013).
pub fn device_authentication_bytes(
    transcript: &[u8],
    doc_type: &str,
    device_namespaces_tagged: &[u8],
) -> Result<Vec<u8>> {
    let label = crate::codec::encode(&text("DeviceAuthentication"))?;
    let doc_type = crate::codec::encode(&text(doc_type))?;
    embedded(raw_array(&[&label, transcript, &doc_type, device_namespaces_tagged])?)
}

/// `ReaderAuthenticationBytes`: `#6.24(bstr .cbor ["ReaderAuthentication",
/// SessionTranscript, ItemsRequestBytes])`, spliced as encoded.
pub fn reader_authentication_bytes(transcript: &[u8], items_tagged: &[u8]) -> Result<Vec<u8>> {
    let label = crate::codec::encode(&text("ReaderAuthentication"))?;
    embedded(raw_array(&[&label, transcript, items_tagged])?)
}

/// Refusal for a response or request naming something not asked (QUA-012).
pub(crate) fn not_requested(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::NotRequested, detail.into())
}
