//! The issuer-signed part of a qualification mdoc: salted IssuerSignedItems
//! and the Mobile Security Object that lists their digests, signed by the
//! Issuer as document signer (QUA-002), and the checks a wallet and a
//! reader make of it (QUA-004, QUA-009, QUA-010, QUA-011).

use std::collections::BTreeMap;

use crate::codec::{self, Value, cose_key};
use crate::crypto::{CryptoProvider, Entropy, PublicKey};
use crate::error::{Code, Error, Result};
use crate::pki::{Credential, ParsedCert, Purpose, TrustAnchor, validate_chain};
use crate::time::{CivilDate, DAY, UnixTime};

use super::cbor::{self, TextMap, as_uint, malformed, text_map};
use super::cose::{self, MdocSign1};
use super::{DOC_TYPE, NAMESPACE};

/// The holder's eligibility, as the Issuer's source (outside the protocol)
/// gives it: what the qualification's elements say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// The insurer's number (保険者番号), 8 digits.
    pub insurer_number: String,
    /// The insurer's name.
    pub insurer_name: String,
    /// `insured` (the insured person) or `dependent` (a family member).
    pub insured_category: String,
    /// The last day of the qualification.
    pub valid_until: CivilDate,
    /// Eligible today.
    pub qualified: bool,
}

impl Eligibility {
    /// The test record the reference Issuer holds for every holder: valid
    /// for a year from `now` (derived from the clock, never a calendar date).
    pub fn test_record(now: UnixTime) -> Self {
        Eligibility {
            insurer_number: "06139999".into(),
            insurer_name: "全国健康保険協会 東京支部".into(),
            insured_category: "insured".into(),
            valid_until: CivilDate::from_days_since_epoch((now / DAY + 365) as i64),
            qualified: true,
        }
    }

    /// The elements, in the order the reference lists them.
    pub fn elements(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("insurer_number", Value::Text(self.insurer_number.clone())),
            ("insurer_name", Value::Text(self.insurer_name.clone())),
            ("insured_category", Value::Text(self.insured_category.clone())),
            ("valid_until", cbor::full_date(self.valid_until)),
            ("qualified", Value::Bool(self.qualified)),
        ]
    }
}

/// The element identifiers of the qualification doctype.
pub const ELEMENTS: [&str; 5] = ["insurer_number", "insurer_name", "insured_category", "valid_until", "qualified"];

/// One IssuerSignedItem and its `#6.24` encoding as received (the bytes
/// its digest is taken over).
#[derive(Clone, Debug, PartialEq)]
pub struct SignedItem {
    /// Its digest id.
    pub digest_id: u64,
    /// The element identifier.
    pub identifier: String,
    /// The element value.
    pub value: Value,
    /// The encoded `#6.24(bstr .cbor IssuerSignedItem)`.
    pub tagged_bytes: Vec<u8>,
}

impl SignedItem {
    /// Reads an `IssuerSignedItemBytes` value.
    pub fn from_value(value: Value) -> Result<Self> {
        let tagged_bytes = codec::encode(&value)?;
        let (_, item) = cbor::unembed(value, "IssuerSignedItemBytes")?;
        let mut fields = TextMap::open("IssuerSignedItem", item)?;
        let digest_id = fields.uint("digestID")?;
        let random = fields.bytes("random")?;
        if !(16..=32).contains(&random.len()) {
            return Err(malformed("IssuerSignedItem random must be 16 to 32 bytes"));
        }
        let identifier = fields.text("elementIdentifier", 64)?;
        let value = fields.required("elementValue")?;
        fields.finish(&[])?;
        Ok(SignedItem { digest_id, identifier, value, tagged_bytes })
    }

    /// The item as the value it was read from.
    pub fn to_value(&self) -> Result<Value> {
        codec::decode(&self.tagged_bytes, &crate::codec::Limits::MDOC)
    }
}

/// A Mobile Security Object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mso {
    /// `docType`.
    pub doc_type: String,
    /// `valueDigests`: namespace → digest id → SHA-256.
    pub value_digests: BTreeMap<String, BTreeMap<u64, Vec<u8>>>,
    /// `deviceKeyInfo.deviceKey`.
    pub device_key: PublicKey,
    /// `validityInfo.signed`.
    pub signed: UnixTime,
    /// `validityInfo.validFrom`.
    pub valid_from: UnixTime,
    /// `validityInfo.validUntil`.
    pub valid_until: UnixTime,
    /// `status.identifier_list.id`: what Status is asked about (QUA-003).
    pub status_id: Option<Vec<u8>>,
}

/// Where the MSO's status identifier says the list lives.
pub const STATUS_URI: &str = "https://status.jpki-mobile.example/v0/status";

impl Mso {
    fn to_value(&self) -> Value {
        let digests = Value::Map(
            self.value_digests
                .iter()
                .map(|(ns, ids)| {
                    let ids = ids.iter().map(|(id, d)| (Value::Integer((*id).into()), Value::Bytes(d.clone())));
                    (Value::Text(ns.clone()), Value::Map(ids.collect()))
                })
                .collect(),
        );
        let mut entries = vec![
            ("version", Value::Text("1.0".into())),
            ("digestAlgorithm", Value::Text("SHA-256".into())),
            ("valueDigests", digests),
            ("deviceKeyInfo", text_map(vec![("deviceKey", cose_key::to_value(&self.device_key))])),
            ("docType", Value::Text(self.doc_type.clone())),
            (
                "validityInfo",
                text_map(vec![
                    ("signed", cbor::tdate(self.signed)),
                    ("validFrom", cbor::tdate(self.valid_from)),
                    ("validUntil", cbor::tdate(self.valid_until)),
                ]),
            ),
        ];
        if let Some(id) = &self.status_id {
            let list = text_map(vec![("id", Value::Bytes(id.clone())), ("uri", Value::Text(STATUS_URI.into()))]);
            entries.push(("status", text_map(vec![("identifier_list", list)])));
        }
        text_map(entries)
    }

    /// Reads an MSO (QUA-016); the device key is checked on the curve.
    pub fn from_value(provider: &dyn CryptoProvider, value: Value) -> Result<Self> {
        let mut fields = TextMap::open("MobileSecurityObject", value)?;
        if fields.text("version", 8)? != "1.0" {
            return Err(malformed("MSO version is not 1.0"));
        }
        if fields.text("digestAlgorithm", 16)? != "SHA-256" {
            return Err(Error::new(Code::UnsupportedAlg, "MSO digest algorithm is not SHA-256"));
        }
        let Value::Map(namespaces) = fields.required("valueDigests")? else {
            return Err(malformed("valueDigests must be a map"));
        };
        let mut value_digests = BTreeMap::new();
        for (ns, ids) in namespaces {
            let (Value::Text(ns), Value::Map(ids)) = (ns, ids) else {
                return Err(malformed("valueDigests: tstr namespace to a map"));
            };
            let mut digests = BTreeMap::new();
            for (id, digest) in ids {
                let id = as_uint(id).ok_or_else(|| malformed("valueDigests: digest ids are uint"))?;
                let Value::Bytes(digest) = digest else { return Err(malformed("valueDigests: digests are bstr")) };
                if digest.len() != 32 {
                    return Err(malformed("valueDigests: SHA-256 digests are 32 bytes"));
                }
                digests.insert(id, digest);
            }
            value_digests.insert(ns, digests);
        }
        let mut key_info = TextMap::open("DeviceKeyInfo", fields.required("deviceKeyInfo")?)?;
        let device_key = cose_key::from_value(provider, key_info.required("deviceKey")?)?;
        key_info.finish(&["keyAuthorizations", "keyInfo"])?;
        let doc_type = fields.text("docType", 128)?;
        let mut validity = TextMap::open("ValidityInfo", fields.required("validityInfo")?)?;
        let signed = cbor::read_tdate(validity.required("signed")?, "signed")?;
        let valid_from = cbor::read_tdate(validity.required("validFrom")?, "validFrom")?;
        let valid_until = cbor::read_tdate(validity.required("validUntil")?, "validUntil")?;
        validity.finish(&["expectedUpdate"])?;
        let status_id = match fields.optional("status") {
            None => None,
            Some(status) => {
                let mut status = TextMap::open("Status", status)?;
                let mut list = TextMap::open("IdentifierList", status.required("identifier_list")?)?;
                let id = list.bytes("id")?;
                if id.len() != 16 {
                    return Err(malformed("status identifier must be 16 bytes"));
                }
                list.text("uri", 256)?;
                list.finish(&[])?;
                status.finish(&[])?;
                Some(id)
            }
        };
        fields.finish(&[])?;
        Ok(Mso { doc_type, value_digests, device_key, signed, valid_from, valid_until, status_id })
    }
}

/// An `IssuerSigned` read: the items per namespace, the MSO and its signature.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuerSigned {
    /// Namespace → items, in the order received.
    pub namespaces: BTreeMap<String, Vec<SignedItem>>,
    /// The issuerAuth COSE_Sign1, unverified.
    pub issuer_auth: MdocSign1,
    /// The issuerAuth as received (forwarded unchanged in a DeviceResponse).
    pub issuer_auth_value: Value,
    /// The MSO it carries, decoded (its signature not yet checked).
    pub mso: Mso,
}

impl IssuerSigned {
    /// Reads an `IssuerSigned` value (QUA-016).
    pub fn from_value(provider: &dyn CryptoProvider, value: Value) -> Result<Self> {
        let mut fields = TextMap::open("IssuerSigned", value)?;
        let mut namespaces = BTreeMap::new();
        if let Some(value) = fields.optional("nameSpaces") {
            let Value::Map(entries) = value else { return Err(malformed("nameSpaces must be a map")) };
            for (ns, items) in entries {
                let (Value::Text(ns), Value::Array(items)) = (ns, items) else {
                    return Err(malformed("nameSpaces: tstr namespace to an array of items"));
                };
                let items = items.into_iter().map(SignedItem::from_value).collect::<Result<Vec<_>>>()?;
                if items.is_empty() {
                    return Err(malformed("nameSpaces: a namespace lists at least one item"));
                }
                let repeated = items.iter().enumerate().any(|(i, a)| {
                    items[i + 1..].iter().any(|b| a.digest_id == b.digest_id || a.identifier == b.identifier)
                });
                if repeated {
                    return Err(malformed("nameSpaces: an element or digestID given twice"));
                }
                namespaces.insert(ns, items);
            }
        }
        let issuer_auth_value = fields.required("issuerAuth")?;
        fields.finish(&[])?;
        let issuer_auth = MdocSign1::from_value(issuer_auth_value.clone())?;
        let payload = issuer_auth.payload().ok_or_else(|| malformed("issuerAuth must carry its payload"))?;
        let (_, mso) = cbor::unembed(cbor::decode(payload)?, "MobileSecurityObjectBytes")?;
        let mso = Mso::from_value(provider, mso)?;
        Ok(IssuerSigned { namespaces, issuer_auth, issuer_auth_value, mso })
    }

    /// The value, with only `keep` items of each namespace (in order).
    pub fn to_value_keeping(&self, keep: impl Fn(&str, &SignedItem) -> bool) -> Result<Value> {
        let mut namespaces = Vec::new();
        for (ns, items) in &self.namespaces {
            let kept = items.iter().filter(|i| keep(ns, i)).map(SignedItem::to_value).collect::<Result<Vec<_>>>()?;
            if !kept.is_empty() {
                namespaces.push((Value::Text(ns.clone()), Value::Array(kept)));
            }
        }
        Ok(text_map(vec![("nameSpaces", Value::Map(namespaces)), ("issuerAuth", self.issuer_auth_value.clone())]))
    }

    /// The issuer's signature by a document signer valid at `now` under
    /// `anchor` (QUA-009); returns the signer's certificate.
    pub fn check_issuer(
        &self,
        provider: &dyn CryptoProvider,
        anchor: &TrustAnchor,
        now: UnixTime,
    ) -> Result<ParsedCert> {
        let chain = self.issuer_auth.x5chain();
        if chain.is_empty() {
            return Err(Error::new(Code::X5chainMissing, "issuerAuth has no x5chain"));
        }
        let signer = validate_chain(provider, chain, anchor, Purpose::DocumentSigner, now)?;
        self.issuer_auth.verify(provider, &signer.public_key, None)?;
        Ok(signer)
    }

    /// Every item's digest is the one the MSO lists under its namespace and
    /// digest id (QUA-010).
    pub fn check_digests(&self, provider: &dyn CryptoProvider) -> Result<()> {
        for (ns, items) in &self.namespaces {
            for item in items {
                let listed = self.mso.value_digests.get(ns).and_then(|ids| ids.get(&item.digest_id));
                if listed.is_none_or(|d| *d != provider.sha256(&item.tagged_bytes)) {
                    return Err(Error::with_detail(
                        Code::ItemDigestMismatch,
                        format!("{ns}/{}: digest not the MSO's", item.identifier),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What the Issuer puts in one MSO.
pub struct MsoTerms<'a> {
    /// The document signer (key and certificate under the mobile root).
    pub signer: &'a Credential,
    /// The wallet's device key for this MSO.
    pub device_key: &'a PublicKey,
    /// The holder's eligibility.
    pub eligibility: &'a Eligibility,
    /// Its status identifier (QUA-003).
    pub status_id: &'a [u8],
    /// Issuance time.
    pub now: UnixTime,
    /// validUntil.
    pub valid_until: UnixTime,
}

/// Makes one `IssuerSigned` (QUA-002): each element a salted item with a
/// distinct digest id, the MSO listing their digests and nothing else,
/// signed by the document signer. Returns its encoding.
pub fn issue(provider: &dyn CryptoProvider, terms: &MsoTerms<'_>, entropy: &mut dyn Entropy) -> Result<Vec<u8>> {
    let mut items = Vec::new();
    let mut digests = BTreeMap::new();
    for (digest_id, (identifier, value)) in (0u64..).zip(terms.eligibility.elements()) {
        let mut random = vec![0u8; 16];
        entropy.fill(&mut random);
        let item = text_map(vec![
            ("digestID", Value::Integer(digest_id.into())),
            ("random", Value::Bytes(random)),
            ("elementIdentifier", Value::Text(identifier.into())),
            ("elementValue", value),
        ]);
        let tagged = cbor::embed(&item)?;
        digests.insert(digest_id, provider.sha256(&codec::encode(&tagged)?).to_vec());
        items.push(tagged);
    }
    let mso = Mso {
        doc_type: DOC_TYPE.into(),
        value_digests: BTreeMap::from([(NAMESPACE.to_owned(), digests)]),
        device_key: terms.device_key.clone(),
        signed: terms.now,
        valid_from: terms.now,
        valid_until: terms.valid_until,
        status_id: Some(terms.status_id.to_vec()),
    };
    let payload = codec::encode(&cbor::embed(&mso.to_value())?)?;
    let chain = [terms.signer.cert.clone()];
    let issuer_auth = cose::sign(provider, &terms.signer.key.secret, &payload, &chain, false)?;
    codec::encode(&text_map(vec![
        ("nameSpaces", Value::Map(vec![(Value::Text(NAMESPACE.into()), Value::Array(items))])),
        ("issuerAuth", issuer_auth),
    ]))
}
