//! Making certificates of the v0 profile with `x509-cert`'s builder, signed
//! through the crypto provider (the builder never sees a private key).

use std::time::Duration;

use const_oid::ObjectIdentifier;
use der::asn1::{Any, BitString, OctetString};
use der::{DateTime, Decode, Encode, Tag};
use spki::{
    AlgorithmIdentifierOwned, Document, DynSignatureAlgorithmIdentifier, EncodePublicKey, SubjectPublicKeyInfoOwned,
};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::ecdsa_der;
use super::oids;
use super::profile::{HolderAttributes, Purpose, der_error};
use crate::crypto::{CryptoProvider, KeyPair, PublicKey};
use crate::error::{Code, Error, Result};
use crate::time::UnixTime;

/// How a value in a subject name is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringKind {
    /// UTF8String.
    Utf8,
    /// PrintableString.
    Printable,
}

/// One attribute of a subject name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAttribute {
    /// The attribute type.
    pub oid: ObjectIdentifier,
    /// Its value.
    pub value: String,
    /// How the value is encoded.
    pub kind: StringKind,
}

impl NameAttribute {
    /// A commonName in UTF8String.
    pub fn common_name(value: &str) -> Self {
        NameAttribute { oid: oids::CN, value: value.into(), kind: StringKind::Utf8 }
    }
}

/// The subject name of a holder's `sign` certificate: the four attributes.
pub fn holder_subject(attributes: &HolderAttributes) -> Vec<NameAttribute> {
    vec![
        NameAttribute::common_name(&attributes.name),
        NameAttribute { oid: oids::ATTR_ADDRESS, value: attributes.address.clone(), kind: StringKind::Utf8 },
        NameAttribute {
            oid: oids::ATTR_DATE_OF_BIRTH,
            value: attributes.date_of_birth.to_compact(),
            kind: StringKind::Printable,
        },
        NameAttribute { oid: oids::ATTR_SEX, value: attributes.sex.code().into(), kind: StringKind::Printable },
    ]
}

/// Builds an X.509 name, one attribute per RDN, in the order given.
pub fn build_name(attributes: &[NameAttribute]) -> Result<Name> {
    let mut rdns = RdnSequence::default();
    for attribute in attributes {
        let tag = match attribute.kind {
            StringKind::Utf8 => Tag::Utf8String,
            StringKind::Printable => Tag::PrintableString,
        };
        let value = Any::new(tag, attribute.value.as_bytes()).map_err(der_error)?;
        let rdn = RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid: attribute.oid, value }])
            .map_err(der_error)?;
        rdns.push(rdn);
    }
    // Name wraps the sequence; going through DER keeps to the checked constructor.
    Name::from_der(&rdns.to_der().map_err(der_error)?).map_err(der_error)
}

/// What kind of certificate to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertRole {
    /// A CA: basicConstraints cA=TRUE, keyUsage keyCertSign.
    Authority,
    /// A CA with a pathLenConstraint, outside the v0 profile (negative tests).
    AuthorityWithPathLen(u8),
    /// An end entity: keyUsage digitalSignature, one EKU.
    Leaf(Purpose),
    /// Anything else, for negative tests and vectors: exactly these flags.
    Custom {
        /// basicConstraints cA.
        ca: bool,
        /// keyUsage keyCertSign.
        key_cert_sign: bool,
        /// keyUsage digitalSignature.
        digital_signature: bool,
        /// extKeyUsage purposes (none: no EKU extension).
        purposes: Vec<Purpose>,
    },
}

/// Everything that goes into one certificate.
#[derive(Clone, Debug)]
pub struct CertTemplate {
    /// Serial number bytes (positive, at most 20 bytes).
    pub serial: Vec<u8>,
    /// The subject name.
    pub subject: Vec<NameAttribute>,
    /// notBefore, from the injected clock.
    pub not_before: UnixTime,
    /// notAfter, from the injected clock.
    pub not_after: UnixTime,
    /// The subject's public key.
    pub public_key: PublicKey,
    /// Authority or leaf.
    pub role: CertRole,
    /// Further extensions, as (OID, critical, DER value).
    pub extra_extensions: Vec<(ObjectIdentifier, bool, Vec<u8>)>,
}

/// The issuing side of a certificate: its name and key pair.
#[derive(Clone, Copy, Debug)]
pub struct IssuerRef<'a> {
    /// The issuer's subject attributes (becomes the certificate's issuer name).
    pub subject: &'a [NameAttribute],
    /// The issuer's key pair.
    pub key: &'a KeyPair,
}

/// The SubjectPublicKeyInfo of a P-256 key.
pub fn spki_for(key: &PublicKey) -> Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oids::EC_PUBLIC_KEY,
            parameters: Some(Any::encode_from(&oids::SECP256R1).map_err(der_error)?),
        },
        subject_public_key: BitString::from_bytes(&key.to_sec1_uncompressed()).map_err(der_error)?,
    })
}

fn to_time(secs: UnixTime) -> Result<Time> {
    let date_time = DateTime::from_unix_duration(Duration::from_secs(secs)).map_err(der_error)?;
    Ok(Time::from(date_time))
}

/// A profile that sets issuer and subject and adds nothing on its own:
/// every extension is chosen explicitly by [`issue_certificate`].
struct FixedNames {
    issuer: Name,
    subject: Name,
}

impl BuilderProfile for FixedNames {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(Vec::new())
    }
}

/// The issuer's public half, as the builder wants to see it.
#[derive(Clone)]
struct IssuerPublic(SubjectPublicKeyInfoOwned);

impl EncodePublicKey for IssuerPublic {
    fn to_public_key_der(&self) -> spki::Result<Document> {
        Ok(Document::try_from(self.0.to_der()?)?)
    }
}

impl signature::Keypair for IssuerPublic {
    type VerifyingKey = IssuerPublic;
    fn verifying_key(&self) -> IssuerPublic {
        self.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for IssuerPublic {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned { oid: oids::ECDSA_WITH_SHA256, parameters: None })
    }
}

fn extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Result<Extension> {
    Ok(Extension { extn_id: oid, critical, extn_value: OctetString::new(value).map_err(der_error)? })
}

fn standard_extensions(role: &CertRole) -> Result<Vec<Extension>> {
    let path_len_constraint = match role {
        CertRole::AuthorityWithPathLen(n) => Some(*n),
        _ => None,
    };
    let (ca, usage, purposes) = match role {
        CertRole::Authority | CertRole::AuthorityWithPathLen(_) => {
            (true, KeyUsages::KeyCertSign | KeyUsages::CRLSign, vec![])
        }
        CertRole::Leaf(purpose) => (false, KeyUsages::DigitalSignature.into(), vec![*purpose]),
        CertRole::Custom { ca, key_cert_sign, digital_signature, purposes } => {
            let mut usage = flagset::FlagSet::<KeyUsages>::default();
            if *key_cert_sign {
                usage |= KeyUsages::KeyCertSign;
            }
            if *digital_signature {
                usage |= KeyUsages::DigitalSignature;
            }
            (*ca, usage, purposes.clone())
        }
    };
    let basic = BasicConstraints { ca, path_len_constraint }.to_der().map_err(der_error)?;
    let key_usage = KeyUsage(usage).to_der().map_err(der_error)?;
    let mut out = vec![extension(oids::BASIC_CONSTRAINTS, true, basic)?, extension(oids::KEY_USAGE, true, key_usage)?];
    if !purposes.is_empty() {
        let eku = ExtendedKeyUsage(purposes.iter().map(|p| p.eku()).collect()).to_der().map_err(der_error)?;
        out.push(extension(oids::EXT_KEY_USAGE, false, eku)?);
    }
    Ok(out)
}

/// Issues a certificate signed by `issuer` (for a self-signed root, pass the
/// root's own subject and key pair). Deterministic: the same template and
/// keys give the same DER bytes.
pub fn issue_certificate(
    provider: &dyn CryptoProvider,
    template: &CertTemplate,
    issuer: IssuerRef<'_>,
) -> Result<Vec<u8>> {
    let profile = FixedNames { issuer: build_name(issuer.subject)?, subject: build_name(&template.subject)? };
    let serial = SerialNumber::new(&template.serial).map_err(der_error)?;
    let validity = Validity::new(to_time(template.not_before)?, to_time(template.not_after)?);
    let builder_error = |e: x509_cert::builder::Error| Error::with_detail(Code::CertMalformed, format!("builder: {e}"));
    let mut builder =
        CertificateBuilder::new(profile, serial, validity, spki_for(&template.public_key)?).map_err(builder_error)?;
    let mut extensions = standard_extensions(&template.role)?;
    for (oid, critical, value) in &template.extra_extensions {
        extensions.push(extension(*oid, *critical, value.clone())?);
    }
    for ext in extensions {
        builder.add_extension(ext).map_err(der_error)?;
    }
    let signer = IssuerPublic(spki_for(&issuer.key.public)?);
    let tbs = builder.finalize(&signer).map_err(builder_error)?;
    let raw = provider.sign_es256(&issuer.key.secret, &tbs)?;
    let signature = BitString::from_bytes(&ecdsa_der::to_der(&raw)?).map_err(der_error)?;
    let certificate = builder.assemble(signature, &signer).map_err(builder_error)?;
    certificate.to_der().map_err(der_error)
}
