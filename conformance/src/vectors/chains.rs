//! The signer-and-chain defect family (spec/certificates.md §5, PKI-001 to
//! PKI-008): for one signer key and purpose, every chain a receiver must
//! refuse, and the chains at each validity bound that it must accept. The
//! generator re-signs a message over each chain, so every signed object a
//! role verifies gets the same family (the conformance matrix's `chain` and
//! `time` cells).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::crypto::{PublicKey, SecretKey};
use jpki_reference::pki::{
    Authority, CertRole, CertTemplate, IssuerRef, NameAttribute, Purpose, TestPki, issue_certificate,
};
use jpki_reference::world::World;

use super::servers::Case;
use crate::checks::surgery::{join, set, split};

/// One chain of the family: the certificates (leaf first) and the verdict
/// a receiver owes a message signed over it.
pub(super) struct ChainVariant {
    /// What is wrong (or which bound it sits at), for the test's comment.
    pub(super) what: &'static str,
    /// The x5chain, leaf first.
    pub(super) chain: Vec<Vec<u8>>,
    /// The refusal code, or `None` when the chain is valid.
    pub(super) code: Option<Code>,
    /// The vector flag (a note of generate.rs).
    pub(super) flag: &'static str,
}

/// The leaf every variant starts from.
pub(super) struct Signer<'a> {
    /// The signer's public key (the leaf certifies it).
    pub(super) public: &'a PublicKey,
    /// The leaf's subject.
    pub(super) subject: Vec<NameAttribute>,
    /// The leaf's serial.
    pub(super) serial: Vec<u8>,
    /// What the leaf is used for.
    pub(super) purpose: Purpose,
    /// Extensions the leaf carries besides the profile's (say, a verifier's
    /// authorisation for sign status).
    pub(super) extensions: Vec<(const_oid::ObjectIdentifier, bool, Vec<u8>)>,
    /// The root the leaf chains to.
    pub(super) root: Root,
}

impl Signer<'_> {
    /// A certificate for this signer with `role`, valid over `window`,
    /// carrying `extra` besides its own extensions, signed by `issuer`.
    fn leaf(
        &self,
        world: &World,
        role: CertRole,
        window: (u64, u64),
        extra: Vec<(const_oid::ObjectIdentifier, bool, Vec<u8>)>,
        issuer: IssuerRef<'_>,
    ) -> Vec<u8> {
        let mut extensions = self.extensions.clone();
        extensions.extend(extra);
        let template = CertTemplate {
            serial: self.serial.clone(),
            subject: self.subject.clone(),
            not_before: window.0,
            not_after: window.1,
            public_key: self.public.clone(),
            role,
            extra_extensions: extensions,
        };
        issue_certificate(world.provider(), &template, issuer).unwrap()
    }
}

/// The roots of the test PKI a signer's chain may end at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Root {
    /// The mobile root: mobile certificates and the servers' certificates.
    Mobile,
    /// The card root (J-LIS): the card's sign and auth certificates.
    Card,
    /// The platform root: key attestations of secure-element keys.
    Platform,
}

/// An extension OID under the documentation arc that v0 does not know.
fn unknown_oid() -> const_oid::ObjectIdentifier {
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.9.3")
}

/// Another purpose than `purpose`, for the wrong-EKU variant.
fn other_purpose(purpose: Purpose) -> Purpose {
    if purpose == Purpose::Verifier { Purpose::StatusSigning } else { Purpose::Verifier }
}

/// `root`'s authority, and another root of the world (trusted for other
/// purposes) for the foreign-anchor variant.
fn roots(pki: &TestPki, root: Root) -> (&Authority, &Authority) {
    let foreign = if root == Root::Mobile { Root::Card } else { Root::Mobile };
    (root.authority(pki), foreign.authority(pki))
}

impl Root {
    /// This root's authority in `pki`.
    pub(super) fn authority(self, pki: &TestPki) -> &Authority {
        match self {
            Root::Mobile => &pki.mobile_root,
            Root::Card => &pki.card_root,
            Root::Platform => &pki.platform_root,
        }
    }
}

/// The chain of a message with no fault in it: one leaf for `signer`, valid
/// an hour either side of the world's clock, under its root.
pub(super) fn sound_chain(world: &World, signer: &Signer<'_>) -> Vec<Vec<u8>> {
    let now = world.now();
    let (root, _) = roots(world.pki(), signer.root);
    vec![signer.leaf(world, CertRole::Leaf(signer.purpose), (now - 3600, now + 3600), vec![], root.as_issuer())]
}

/// Every variant for `signer` under the mobile root of `world`, at the
/// world's clock.
pub(super) fn variants(world: &World, signer: &Signer<'_>) -> Vec<ChainVariant> {
    let provider = world.provider();
    let now = world.now();
    let pki = world.pki();
    let (anchor, foreign) = roots(pki, signer.root);
    let root = anchor.as_issuer();
    let leaf = |role: CertRole, window: (u64, u64), extra: Vec<_>, issuer: IssuerRef<'_>| {
        signer.leaf(world, role, window, extra, issuer)
    };
    let ordinary = CertRole::Leaf(signer.purpose);
    // the leaf's purpose with these basicConstraints and keyUsage flags
    let usage = |ca, key_cert_sign, digital_signature| CertRole::Custom {
        ca,
        key_cert_sign,
        digital_signature,
        purposes: vec![signer.purpose],
    };
    let hour = (now - 3600, now + 3600);
    let one = |what, cert: Vec<u8>, code, flag| ChainVariant { what, chain: vec![cert], code, flag };
    let mut out = vec![
        // validity of the leaf, each bound at -1, 0 and +1 (PKI-003, PKI-004)
        one(
            "signer certificate one second past its notAfter",
            leaf(ordinary.clone(), (now - 3600, now - 1), vec![], root),
            Some(Code::CertExpired),
            "SignerNotAfter",
        ),
        one(
            "signer certificate at its notAfter (still valid)",
            leaf(ordinary.clone(), (now - 3600, now), vec![], root),
            None,
            "SignerNotAfter",
        ),
        one(
            "signer certificate one second before its notAfter",
            leaf(ordinary.clone(), (now - 3600, now + 1), vec![], root),
            None,
            "SignerNotAfter",
        ),
        one(
            "signer certificate one second before its notBefore",
            leaf(ordinary.clone(), (now + 1, now + 3600), vec![], root),
            Some(Code::CertNotYetValid),
            "SignerNotBefore",
        ),
        one(
            "signer certificate at its notBefore (already valid)",
            leaf(ordinary.clone(), (now, now + 3600), vec![], root),
            None,
            "SignerNotBefore",
        ),
        one(
            "signer certificate one second after its notBefore",
            leaf(ordinary.clone(), (now - 1, now + 3600), vec![], root),
            None,
            "SignerNotBefore",
        ),
        // profile of the leaf (PKI-005, PKI-007, PKI-008, PKI-001)
        one(
            "signer certificate for another purpose (wrong EKU)",
            leaf(CertRole::Leaf(other_purpose(signer.purpose)), hour, vec![], root),
            Some(Code::WrongPurpose),
            "SignerPurpose",
        ),
        one(
            "signer certificate without any EKU",
            leaf(
                CertRole::Custom { ca: false, key_cert_sign: false, digital_signature: true, purposes: vec![] },
                hour,
                vec![],
                root,
            ),
            Some(Code::WrongPurpose),
            "SignerPurpose",
        ),
        one(
            "signer certificate that is a CA",
            leaf(usage(true, false, true), hour, vec![], root),
            Some(Code::BadKeyUsage),
            "KeyUsage",
        ),
        one(
            "signer certificate that may sign certificates",
            leaf(usage(false, true, true), hour, vec![], root),
            Some(Code::BadKeyUsage),
            "KeyUsage",
        ),
        one(
            "signer certificate without digitalSignature",
            leaf(usage(false, false, false), hour, vec![], root),
            Some(Code::BadKeyUsage),
            "KeyUsage",
        ),
        one(
            "signer certificate with an unknown critical extension",
            leaf(ordinary.clone(), hour, vec![(unknown_oid(), true, vec![5, 0])], root),
            Some(Code::UnknownCriticalExtension),
            "CriticalExtension",
        ),
        one(
            "signer certificate with an unknown non-critical extension (ignored)",
            leaf(ordinary.clone(), hour, vec![(unknown_oid(), false, vec![5, 0])], root),
            None,
            "CriticalExtension",
        ),
        one(
            "signer certificate with one extension twice",
            leaf(
                ordinary.clone(),
                hour,
                vec![(unknown_oid(), false, vec![5, 0]), (unknown_oid(), false, vec![5, 0])],
                root,
            ),
            Some(Code::CertMalformed),
            "DuplicateExtension",
        ),
        // the anchor (PKI-002)
        one(
            "signer certificate under another root",
            leaf(ordinary.clone(), hour, vec![], foreign.as_issuer()),
            Some(Code::UntrustedChain),
            "UntrustedChain",
        ),
    ];
    // the root's name over another key's signature (PKI-002)
    let impostor_key = pki.key(provider, "vectors chain impostor").unwrap();
    let impostor = IssuerRef { subject: &anchor.subject, key: &impostor_key };
    out.push(one(
        "signer certificate with the root's name as issuer, signed by another key",
        leaf(ordinary.clone(), hour, vec![], impostor),
        Some(Code::UntrustedChain),
        "UntrustedChain",
    ));
    // issuing certificates (PKI-006, PKI-001): the leaf under an intermediate
    let intermediate_key = pki.key(provider, "vectors chain intermediate").unwrap();
    let intermediate_subject = vec![NameAttribute::common_name("JPKI vectors intermediate")];
    let intermediate = IssuerRef { subject: &intermediate_subject, key: &intermediate_key };
    let via = |what, role: CertRole, code, flag| {
        let template = CertTemplate {
            serial: pki.serial("vectors chain intermediate"),
            subject: intermediate_subject.clone(),
            not_before: now - 3600,
            not_after: now + 3600,
            public_key: intermediate_key.public.clone(),
            role,
            extra_extensions: vec![],
        };
        let middle = issue_certificate(provider, &template, root).unwrap();
        ChainVariant { what, chain: vec![leaf(ordinary.clone(), hour, vec![], intermediate), middle], code, flag }
    };
    out.push(via("signer under an intermediate CA (valid)", CertRole::Authority, None, "IssuerNotCa"));
    out.push(via(
        "signer under an intermediate without cA",
        CertRole::Custom { ca: false, key_cert_sign: true, digital_signature: false, purposes: vec![] },
        Some(Code::NotACa),
        "IssuerNotCa",
    ));
    out.push(via(
        "signer under an intermediate without keyCertSign",
        CertRole::Custom { ca: true, key_cert_sign: false, digital_signature: true, purposes: vec![] },
        Some(Code::NotACa),
        "IssuerNotCa",
    ));
    out.push(via(
        "signer under an intermediate with a pathLenConstraint (outside the profile)",
        CertRole::AuthorityWithPathLen(0),
        Some(Code::CertMalformed),
        "OutsideProfile",
    ));
    out
}

/// `signed` (a COSE_Sign1) signed again by `secret` with `chain` as its x5chain.
pub(super) fn resigned_over(world: &World, signed: &[u8], secret: &SecretKey, chain: &[Vec<u8>]) -> Vec<u8> {
    let mut parts = split(signed);
    let x5chain = match chain {
        [one] => Value::Bytes(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::Bytes).collect()),
    };
    set(&mut parts.protected, 33, x5chain);
    join(world.provider(), &parts, secret)
}

/// `text` with `'static` lifetime: the generator's cases carry static
/// comments, and a family's comments are made once per run.
pub(super) fn comment(prefix: &str, what: &str) -> &'static str {
    Box::leak(format!("{prefix}{what}").into_boxed_str())
}

/// The whole family for `signed`, re-signed by `secret` over each variant,
/// as cases at `endpoint` (comments prefixed with `prefix`).
pub(super) fn cases(
    world: &World,
    signed: &[u8],
    secret: &SecretKey,
    signer: &Signer<'_>,
    endpoint: Option<&'static str>,
    prefix: &str,
) -> Vec<Case> {
    variants(world, signer)
        .into_iter()
        .map(|variant| Case {
            comment: comment(prefix, variant.what),
            input: resigned_over(world, signed, secret, &variant.chain),
            code: variant.code,
            flags: vec![variant.flag],
            endpoint,
            derive: None,
        })
        .collect()
}

/// The Issuer's receipts signer (wipe commands, receipts, status feeds).
pub(super) fn receipts_signer<'a>(world: &World, public: &'a PublicKey) -> Signer<'a> {
    Signer {
        public,
        subject: vec![NameAttribute::common_name("JPKI issuer receipts")],
        serial: world.pki().serial("vectors issuer receipts"),
        purpose: Purpose::IssuerReceipts,
        extensions: vec![],
        root: Root::Mobile,
    }
}

/// The flag marking a test about a key's attestation chain (its note names
/// ISS-003; the matrix reads the family's flags as KeyRequest.3's).
pub(super) const ATTESTATION_FLAG: &str = "AttestationChain";

/// The family for the attestation of the first key a payload requests
/// (KeyRequest key 3 of `payload`'s key list at `keys_key`): each variant's
/// leaf certifies the same secure-element key with the same subject and
/// key-attestation extension, the chain replaces the attestation, and
/// `resign` signs the edited payload as the message. An attestation that
/// does not hold is `attestation_untrusted` whichever step fails (ISS-003).
pub(super) fn attestation_cases(
    world: &World,
    payload: &Value,
    keys_key: i64,
    endpoint: Option<&'static str>,
    resign: impl Fn(Value) -> Vec<u8>,
) -> Vec<Case> {
    use crate::checks::surgery::field;
    use jpki_reference::pki::{ParsedCert, oids};
    let mut payload = payload.clone();
    let Value::Array(keys) = field(&mut payload, keys_key).clone() else { panic!("no key list") };
    let mut first = keys[0].clone();
    let Value::Array(chain) = field(&mut first, 3).clone() else { panic!("no attestation chain") };
    let Value::Bytes(leaf) = &chain[0] else { panic!("an attestation leaf that is no bstr") };
    let parsed = ParsedCert::parse(world.provider(), leaf).unwrap();
    let facts = parsed.key_attestation.clone().expect("an attestation without its extension");
    let device = parsed.subject_attribute(oids::CN).expect("an attestation leaf without a CN").to_owned();
    let signer = Signer {
        public: &parsed.public_key,
        subject: vec![NameAttribute::common_name(&device)],
        serial: parsed.serial.clone(),
        purpose: Purpose::KeyAttestation,
        extensions: vec![(oids::EXT_KEY_ATTESTATION, true, facts.to_der().unwrap())],
        root: Root::Platform,
    };
    let with_chain = |chain: Vec<Vec<u8>>| {
        let mut edited = payload.clone();
        let Value::Array(keys) = field(&mut edited, keys_key) else { unreachable!() };
        *field(&mut keys[0], 3) = Value::Array(chain.into_iter().map(Value::Bytes).collect());
        resign(edited)
    };
    // the platform's signature on the leaf, its last bit flipped
    let mut flipped = leaf.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let mut out = vec![Case {
        comment: "attestation of the first key: the platform's signature on its leaf flipped",
        input: with_chain(vec![flipped]),
        code: Some(Code::AttestationUntrusted),
        flags: vec!["ModifiedSignature", ATTESTATION_FLAG],
        endpoint,
        derive: None,
    }];
    out.extend(variants(world, &signer).into_iter().map(|variant| Case {
        comment: comment("attestation of the first key: ", variant.what),
        input: with_chain(variant.chain),
        code: variant.code.map(|_| Code::AttestationUntrusted),
        flags: vec![variant.flag, ATTESTATION_FLAG],
        endpoint,
        derive: None,
    }));
    out
}

/// The flag marking a test about a certificate an IssuanceResponse carries
/// (its note names ISS-013; the matrix reads the family's flags as
/// IssuedCert.2's).
pub(super) const ISSUED_FLAG: &str = "IssuedChain";

/// A test's `derive` prefix: the withheld IssuanceResponse with its first
/// certificate remade (see [`issued_cert_variant`]).
pub const WITHHELD_CERT: &str = "withheld-cert";

/// The variants an IssuanceResponse can carry: one certificate each, for
/// the key and kind of `first`, the response's first IssuedCert (an
/// IssuedCert holds no chain, so the variants under an intermediate do not
/// apply).
fn issued_variants(world: &World, first: &Value) -> Result<Vec<ChainVariant>, String> {
    use jpki_reference::msgs::Kind;
    use jpki_reference::pki::ParsedCert;
    let Value::Map(entries) = first else { return Err("an IssuedCert that is not a map".into()) };
    let (Some((_, Value::Integer(kind))), Some((_, Value::Bytes(der)))) = (entries.first(), entries.get(1)) else {
        return Err("an IssuedCert without its kind and certificate".into());
    };
    let kind = if i128::from(*kind) == 1 { Kind::Sign } else { Kind::Auth };
    let parsed = ParsedCert::parse(world.provider(), der).map_err(|e| format!("the issued certificate: {e}"))?;
    let signer = Signer {
        public: &parsed.public_key,
        subject: vec![NameAttribute::common_name("JPKI mobile certificate")],
        serial: parsed.serial.clone(),
        purpose: Purpose::mobile(kind),
        extensions: vec![],
        root: Root::Mobile,
    };
    Ok(variants(world, &signer).into_iter().filter(|v| v.chain.len() == 1).collect())
}

/// `withheld` (an IssuanceResponse) with its first certificate replaced as
/// `which` says: `signature`, the certificate with its signature's last bit
/// flipped; a number, that variant of the family, certifying the same key
/// for the same kind (`derive: withheld-cert/<which>`).
pub fn issued_cert_variant(world: &World, withheld: &[u8], which: &str) -> Result<Vec<u8>, String> {
    use jpki_reference::codec::{decode_v0, encode};
    let shape = || format!("{WITHHELD_CERT}/{which}: the withheld message is not an IssuanceResponse");
    let Ok(Value::Map(mut top)) = decode_v0(withheld) else { return Err(shape()) };
    let Some((_, Value::Array(certs))) = top.first_mut() else { return Err(shape()) };
    let Some(first) = certs.first_mut() else { return Err(shape()) };
    let cert = if which == "signature" {
        let Value::Map(entries) = &*first else { return Err(shape()) };
        let Some((_, Value::Bytes(der))) = entries.get(1) else { return Err(shape()) };
        let mut flipped = der.clone();
        let last = flipped.last_mut().ok_or_else(shape)?;
        *last ^= 1;
        flipped
    } else {
        let index: usize = which.parse().map_err(|_| format!("{WITHHELD_CERT}/{which}: not a variant number"))?;
        let mut variants = issued_variants(world, first)?;
        if index >= variants.len() {
            return Err(format!("{WITHHELD_CERT}/{which}: no such variant"));
        }
        variants.swap_remove(index).chain.remove(0)
    };
    let Value::Map(entries) = first else { return Err(shape()) };
    entries[1].1 = Value::Bytes(cert);
    encode(&Value::Map(top)).map_err(|e| format!("{WITHHELD_CERT}/{which}: {e}"))
}

/// Every `withheld-cert` test for the reference wallet's `withheld`
/// response: (derive, comment, code, flag).
pub(super) fn issued_cert_cases(
    world: &World,
    withheld: &[u8],
) -> Vec<(String, &'static str, Option<Code>, &'static str)> {
    use jpki_reference::codec::decode_v0;
    let Ok(Value::Map(top)) = decode_v0(withheld) else { panic!("the withheld response") };
    let Some((_, Value::Array(certs))) = top.first() else { panic!("the withheld response's certificates") };
    let mut out = vec![(
        format!("{WITHHELD_CERT}/signature"),
        "the first certificate with the mobile root's signature on it flipped",
        Some(Code::UntrustedChain),
        "ModifiedSignature",
    )];
    for (index, variant) in issued_variants(world, &certs[0]).unwrap().into_iter().enumerate() {
        let what = comment("the first certificate: ", &variant.what.replace("signer certificate", "a certificate"));
        out.push((format!("{WITHHELD_CERT}/{index}"), what, variant.code, variant.flag));
    }
    out
}
