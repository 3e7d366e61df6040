//! Rebuilds every vector file from [`VECTOR_SEED`] and the world's clock:
//! the same inputs give the same bytes, so a test regenerates the files and
//! fails on any drift from what is committed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself; a failed step is a bug in
// the generator, which the regeneration test shows at once.

use std::collections::BTreeMap;

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::codec::cose_sign1::{SignOptions, sign1};
use jpki_reference::codec::encode;
use jpki_reference::constants;
use jpki_reference::crypto::SecretKey;
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::status::{CertStatus, RevocationReason, StatusRequestPayload};
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::pki::{CertRole, CertTemplate, NameAttribute, ParsedCert, Purpose, issue_certificate};
use jpki_reference::world::{GOV_RP, IssueParams, SHOP_RP, World};

use super::VECTOR_SEED;
use super::format::{IssuedNonce, Note, StatusAnswerJson, VectorFile, VectorGroup, VectorTest};
use crate::checks::surgery::{
    Parts, assemble, attributes, field, int, join, raw_map, remove, set, sign_with_raw_protected, split,
};

/// `STATUS_FRESHNESS_SECS`, the status answer's freshness bound.
const FRESHNESS: u64 = constants::STATUS_FRESHNESS_SECS;

/// The order of P-256's base point (for high-S and out-of-range signatures).
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// `n - s` for a 32-byte big-endian `s < n`.
fn negate_mod_n(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(P256_N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

/// Every vector file, by file name, as committed text.
pub fn generate() -> BTreeMap<String, String> {
    let mut made = BTreeMap::new();
    for (name, file) in [
        ("issuer_issuance_request.json", super::servers::issuer_issuance_request()),
        ("issuer_lifecycle.json", super::servers::issuer_lifecycle()),
        ("status_request.json", super::servers::status_request()),
        ("verifier_assertion.json", verifier_assertion()),
        ("device_use_request.json", super::clients::device_use_request()),
        ("device_issuance_challenge.json", super::clients::device_issuance_challenge()),
        ("device_issuance_response.json", super::clients::device_issuance_response()),
        ("device_wipe_command.json", super::clients::device_wipe_command()),
        ("status_feed.json", super::clients::status_feed()),
        ("client_receipt.json", super::clients::client_receipt()),
        ("client_error.json", super::clients::client_error()),
    ] {
        made.insert(name.to_owned(), file);
    }
    super::misdelivery::add(&mut made);
    let mut files = BTreeMap::new();
    for (name, mut file) in made {
        super::framing::add(&mut file);
        files.insert(name, serde_json::to_string_pretty(&file).unwrap() + "\n");
    }
    files
}

/// One test being built.
struct Case {
    comment: &'static str,
    input: Vec<u8>,
    status: Option<StatusAnswerJson>,
    code: Option<Code>,
    flags: Vec<&'static str>,
}

/// The generator's world and the keys it signs forgeries with.
struct Gen {
    world: World,
    auth_serial: Vec<u8>,
    sign_serial: Vec<u8>,
}

impl Gen {
    fn new() -> Gen {
        let mut world = World::new(VECTOR_SEED).unwrap();
        world.add_holder("vectors", attributes()).unwrap();
        world.add_device("phone");
        world.issue("vectors", "phone", &IssueParams::both(1)).unwrap();
        let device = world.device("phone").unwrap();
        let serial = |kind: Kind| {
            ParsedCert::parse(world.provider(), device.installed[&kind].cert.as_ref().unwrap()).unwrap().serial
        };
        let (auth_serial, sign_serial) = (serial(Kind::Auth), serial(Kind::Sign));
        Gen { world, auth_serial, sign_serial }
    }

    fn se_secret(&self, kind: Kind) -> SecretKey {
        self.world.suite_secret("phone", kind).unwrap()
    }

    fn request(&mut self, rp: &str, kind: Kind) -> Vec<u8> {
        let digest = (kind == Kind::Sign).then(|| self.world.provider().sha256(b"vector document"));
        self.world.use_request(rp, kind, "vector purpose", digest).unwrap()
    }

    fn assertion(&mut self, request: &[u8], uv: UserVerification) -> Vec<u8> {
        self.world.assertion("phone", request, uv).unwrap()
    }

    /// A fresh, good assertion at `rp` with its good status answer.
    fn good(&mut self, rp: &str, kind: Kind) -> (Vec<u8>, StatusAnswerJson) {
        let request = self.request(rp, kind);
        let assertion = self.assertion(&request, UserVerification::BIOMETRIC);
        let status = self.status_for(rp, &assertion, None);
        (assertion, status)
    }

    /// Status's answer for the use an assertion makes (optionally another status, re-signed).
    fn status_for(&mut self, rp: &str, assertion: &[u8], status: Option<CertStatus>) -> StatusAnswerJson {
        let parts = split(assertion);
        let mut payload = parts.payload.clone();
        let nonce = match field(&mut payload, 2) {
            Value::Bytes(n) => n.clone().try_into().unwrap(),
            _ => panic!("assertion without nonce"),
        };
        let kind = match field(&mut payload, 7) {
            Value::Integer(i) if i128::from(*i) == 1 => Kind::Sign,
            _ => Kind::Auth,
        };
        let serial = if kind == Kind::Sign { self.sign_serial.clone() } else { self.auth_serial.clone() };
        let verifier = self.world.verifier(rp).unwrap().credential.clone();
        let query = StatusRequestPayload { rp_id: rp.into(), nonce, serial };
        let chain = [verifier.cert.clone()];
        let request = sign1(
            self.world.provider(),
            &verifier.key.secret,
            &query.to_bytes().unwrap(),
            &SignOptions { x5chain: &chain, external_aad: b"" },
        )
        .unwrap();
        let response = self.world.status_answer(&request).unwrap();
        let response = match status {
            None => response,
            Some(status) => {
                let mut parts = split(&response);
                let Value::Map(entries) = &mut parts.payload else { panic!() };
                entries.retain(|(k, _)| ![int(2), int(6), int(7)].contains(k));
                match status {
                    CertStatus::Good => entries.push((int(2), int(0))),
                    CertStatus::Suspended => entries.push((int(2), int(1))),
                    CertStatus::Revoked { reason, at } => {
                        entries.push((int(2), int(2)));
                        entries.push((int(6), int(reason.wire() as i64)));
                        entries.push((int(7), Value::Tag(1, Box::new(Value::Integer(at.into())))));
                    }
                }
                join(self.world.provider(), &parts, &self.world.pki().status_signer.key.secret)
            }
        };
        StatusAnswerJson::Response(hex::encode(response))
    }

    /// The assertion taken apart, changed by `edit`, and signed again with the SE key.
    fn resigned(&self, assertion: &[u8], kind: Kind, edit: impl FnOnce(&mut Parts)) -> Vec<u8> {
        let mut parts = split(assertion);
        edit(&mut parts);
        join(self.world.provider(), &parts, &self.se_secret(kind))
    }

    /// Signs raw protected-header bytes over the assertion's payload.
    fn with_raw_protected(&self, assertion: &[u8], kind: Kind, protected: &[u8]) -> Vec<u8> {
        sign_with_raw_protected(self.world.provider(), &split(assertion), protected, &self.se_secret(kind))
    }

    /// A mobile certificate for the auth SE key, issued by the mobile root with another profile.
    fn crafted_cert(&self, role: CertRole, extra: Vec<(const_oid::ObjectIdentifier, bool, Vec<u8>)>) -> Vec<u8> {
        let device = self.world.device("phone").unwrap();
        let cert = device.installed[&Kind::Auth].cert.as_ref().unwrap();
        let key = ParsedCert::parse(self.world.provider(), cert).unwrap().public_key;
        let now = self.world.now();
        let template = CertTemplate {
            serial: self.auth_serial.clone(),
            subject: vec![NameAttribute::common_name("JPKI mobile auth")],
            not_before: now - 3600,
            not_after: now + 3600,
            public_key: key,
            role,
            extra_extensions: extra,
        };
        issue_certificate(self.world.provider(), &template, self.world.pki().mobile_root.as_issuer()).unwrap()
    }
}

fn x5chain_of(parts: &Parts) -> Value {
    parts.protected.iter().find(|(k, _)| *k == int(33)).map(|(_, v)| v.clone()).unwrap()
}

fn verifier_assertion() -> VectorFile {
    let mut g = Gen::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut push = |comment, input, status, code, flags: Vec<&'static str>| {
        cases.push(Case { comment, input, status: Some(status), code, flags });
    };
    // an early request whose nonce will have expired by the group's clock
    let early_request = g.request(GOV_RP, Kind::Auth);
    let early = g.assertion(&early_request, UserVerification::BIOMETRIC);
    let early_status = g.status_for(GOV_RP, &early, None);
    // three requests whose nonces expire one second before, at and one
    // second after the group's clock (NON-003 at its bound)
    g.world.advance(99);
    let mut at_bound = Vec::new();
    for step in 0..3 {
        let request = g.request(GOV_RP, Kind::Auth);
        at_bound.push(g.assertion(&request, UserVerification::BIOMETRIC));
        g.world.advance(u64::from(step < 2));
    }
    g.world.advance(constants::NONCE_LIFETIME_SECS + 100 - 101);
    push(
        "nonce expired (made before the lifetime ran out, judged after)",
        early,
        early_status,
        Some(Code::NonceExpired),
        vec!["NonceLifetime"],
    );
    // the counter of this assertion is the last one the verifier has seen
    let (replayed_counter, status) = g.good(GOV_RP, Kind::Auth);
    push(
        "counter equal to the last one seen (a cloned key)",
        replayed_counter,
        status,
        Some(Code::CounterRegression),
        vec!["CloneDetection"],
    );
    let now = g.world.now();
    for (assertion, (what, code)) in at_bound.into_iter().zip([
        ("nonce one second past its expiry", Some(Code::NonceExpired)),
        ("nonce at its expiry second (still in time)", None),
        ("nonce one second before its expiry", None),
    ]) {
        // signed now, with a counter above the last one seen: only the nonce's age differs
        let fresh = g.resigned(&assertion, Kind::Auth, |p| {
            *field(&mut p.payload, 6) = Value::Tag(1, Box::new(Value::Integer(now.into())));
            *field(&mut p.payload, 3) = int(1_000_000);
        });
        let status = g.status_for(GOV_RP, &fresh, None);
        let flags = if code.is_some() { vec!["NonceLifetime", "NoStatusQuery"] } else { vec!["NonceLifetime"] };
        push(what, fresh, status, code, flags);
    }
    // a request the fixture records as already used
    let (used, status) = g.good(GOV_RP, Kind::Auth);
    let used_nonce = match field(&mut split(&used).payload, 2) {
        Value::Bytes(n) => hex::encode(n),
        _ => unreachable!(),
    };
    push(
        "nonce already consumed by an accepted use",
        used,
        status,
        Some(Code::NonceReused),
        vec!["Replay", "NoStatusQuery"],
    );

    let (valid, status) = g.good(GOV_RP, Kind::Auth);
    push("auth, biometric", valid.clone(), status.clone(), None, vec!["Valid"]);
    // high S: same (r, s) with s replaced by n - s, still a valid ECDSA signature
    let mut parts = split(&valid);
    let high_s = negate_mod_n(&parts.signature[32..]);
    parts.signature[32..].copy_from_slice(&high_s);
    let protected = encode(&Value::Map(parts.protected.clone())).unwrap();
    let payload = encode(&parts.payload).unwrap();
    let high = assemble(&protected, &parts.unprotected, &payload, &parts.signature);
    push(
        "the same signature with s replaced by n - s (high-S is valid: secure elements make it)",
        high,
        status.clone(),
        None,
        vec!["SignatureMalleability"],
    );
    let request = g.request(GOV_RP, Kind::Auth);
    let passcode = g.assertion(&request, UserVerification::PASSCODE);
    let passcode_status = g.status_for(GOV_RP, &passcode, None);
    push("auth with the device passcode", passcode, passcode_status, None, vec!["Valid"]);
    let (sign, sign_status) = g.good(GOV_RP, Kind::Sign);
    push("sign, biometric", sign, sign_status, None, vec!["Valid"]);

    // encoding
    let (base, status) = g.good(GOV_RP, Kind::Auth);
    let mut truncated = base.clone();
    truncated.pop();
    push("truncated by one byte", truncated, status.clone(), Some(Code::Malformed), vec!["Truncation"]);
    let non_shortest_alg = encode(&Value::Map(vec![(int(1), int(-7)), (int(33), x5chain_of(&split(&base)))])).unwrap();
    let mut alg_bytes = non_shortest_alg.clone();
    let at = alg_bytes.windows(2).position(|w| w == [0x01, 0x26]).unwrap();
    alg_bytes.splice(at + 1..at + 2, [0x38, 0x06]);
    push(
        "alg -7 written in two bytes inside the protected bucket (signed as sent)",
        g.with_raw_protected(&base, Kind::Auth, &alg_bytes),
        status.clone(),
        Some(Code::NonShortestInt),
        vec!["NonShortestEncoding", "WrappedItem"],
    );
    let mut long_array = base.clone();
    long_array.splice(1..2, [0x98, 0x04]);
    push(
        "COSE_Sign1 array length in two bytes",
        long_array,
        status.clone(),
        Some(Code::NonShortestLength),
        vec!["NonShortestEncoding"],
    );
    let mut indefinite = base.clone();
    indefinite.splice(1..2, [0x9f]);
    indefinite.push(0xff);
    push(
        "indefinite-length COSE_Sign1 array",
        indefinite,
        status.clone(),
        Some(Code::IndefiniteLength),
        vec!["IndefiniteLength"],
    );
    let unsorted = raw_map(vec![(int(33), x5chain_of(&split(&base))), (int(1), int(-7))]);
    push(
        "protected header keys in the wrong order (signed as sent)",
        g.with_raw_protected(&base, Kind::Auth, &unsorted),
        status.clone(),
        Some(Code::UnsortedMapKeys),
        vec!["NonDeterministicEncoding", "WrappedItem"],
    );
    let duplicated = raw_map(vec![(int(1), int(-7)), (int(1), int(-7)), (int(33), x5chain_of(&split(&base)))]);
    push(
        "alg twice in the protected header (signed as sent)",
        g.with_raw_protected(&base, Kind::Auth, &duplicated),
        status.clone(),
        Some(Code::DuplicateMapKey),
        vec!["DuplicateKey", "WrappedItem"],
    );
    let mut trailing = base.clone();
    trailing.push(0x00);
    push("a byte after the COSE_Sign1", trailing, status.clone(), Some(Code::TrailingBytes), vec!["TrailingBytes"]);
    let mut deep = Value::Null;
    for _ in 0..20 {
        deep = Value::Array(vec![deep]);
    }
    let deep_bytes = encode(&Value::Tag(18, Box::new(deep))).unwrap();
    push("tag 18 around arrays nested 20 deep", deep_bytes, status.clone(), Some(Code::TooDeep), vec!["Depth"]);
    let large = g.resigned(&base, Kind::Auth, |p| set(&mut p.unprotected, 4, Value::Bytes(vec![0; 70_000])));
    push("a 70 000-byte kid: over MAX_MESSAGE_BYTES", large, status.clone(), Some(Code::TooLarge), vec!["Size"]);
    let mut bad_text = encode(&Value::Map(vec![
        (int(1), int(-7)),
        (int(3), Value::Text("ab".into())),
        (int(33), x5chain_of(&split(&base))),
    ]))
    .unwrap();
    let at = bad_text.windows(3).position(|w| w == [0x62, b'a', b'b']).unwrap();
    bad_text[at + 1] = 0xff;
    push(
        "content type that is not UTF-8 (signed as sent)",
        g.with_raw_protected(&base, Kind::Auth, &bad_text),
        status.clone(),
        Some(Code::InvalidUtf8),
        vec!["Utf8", "WrappedItem"],
    );
    let float = raw_map(vec![(int(1), int(-7)), (int(3), Value::Float(1.5)), (int(33), x5chain_of(&split(&base)))]);
    push(
        "a float in the protected header (signed as sent)",
        g.with_raw_protected(&base, Kind::Auth, &float),
        status.clone(),
        Some(Code::UnsupportedType),
        vec!["Float", "WrappedItem"],
    );
    let unknown = g.resigned(&base, Kind::Auth, |p| set(&mut p.protected, 99, int(1)));
    push("an unknown protected header label", unknown, status.clone(), Some(Code::UnknownField), vec!["UnknownField"]);

    // COSE
    push("untagged COSE_Sign1", base[1..].to_vec(), status.clone(), Some(Code::WrongTag), vec!["WrongTag"]);
    let mut cose_sign = base.clone();
    cose_sign.splice(0..1, [0xd8, 0x62]);
    push("tag 98 (COSE_Sign) instead of 18", cose_sign, status.clone(), Some(Code::WrongTag), vec!["WrongTag"]);
    let unprotected_alg = g.resigned(&base, Kind::Auth, |p| {
        remove(&mut p.protected, 1);
        set(&mut p.unprotected, 1, int(-7));
    });
    push(
        "alg only in the unprotected bucket",
        unprotected_alg,
        status.clone(),
        Some(Code::AlgNotProtected),
        vec!["AlgConfusion"],
    );
    let es384 = g.resigned(&base, Kind::Auth, |p| set(&mut p.protected, 1, int(-35)));
    push("alg ES384 with a P-256 key", es384, status.clone(), Some(Code::UnsupportedAlg), vec!["AlgConfusion"]);
    let crit = g.resigned(&base, Kind::Auth, |p| {
        set(&mut p.protected, 2, Value::Array(vec![int(99)]));
        set(&mut p.protected, 99, int(0));
    });
    push(
        "crit names a label v0 does not understand",
        crit,
        status.clone(),
        Some(Code::UnknownCritical),
        vec!["UnknownCritical"],
    );
    let parts = split(&base);
    let (r, s) = (&parts.signature[..32], &parts.signature[32..]);
    let der = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = if x.first().is_some_and(|b| *b >= 0x80) { vec![0] } else { vec![] };
        v.extend(x);
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let mut der_sig = der(r);
    der_sig.extend(der(s));
    let der_sig = [vec![0x30, der_sig.len() as u8], der_sig].concat();
    let protected = encode(&Value::Map(parts.protected.clone())).unwrap();
    let payload = encode(&parts.payload).unwrap();
    push(
        "the signature DER-encoded instead of raw r || s",
        assemble(&protected, &parts.unprotected, &payload, &der_sig),
        status.clone(),
        Some(Code::BadSignatureSize),
        vec!["DerSignature"],
    );
    let mut flipped = parts.signature.clone();
    flipped[63] ^= 1;
    push(
        "one bit of s flipped",
        assemble(&protected, &parts.unprotected, &payload, &flipped),
        status.clone(),
        Some(Code::BadSignature),
        vec!["ModifiedSignature"],
    );
    let zero_r = [vec![0u8; 32], parts.signature[32..].to_vec()].concat();
    push(
        "r = 0",
        assemble(&protected, &parts.unprotected, &payload, &zero_r),
        status.clone(),
        Some(Code::BadSignature),
        vec!["RangeCheck"],
    );
    let s_n = [parts.signature[..32].to_vec(), P256_N.to_vec()].concat();
    push(
        "s = n",
        assemble(&protected, &parts.unprotected, &payload, &s_n),
        status.clone(),
        Some(Code::BadSignature),
        vec!["RangeCheck"],
    );
    let no_chain = g.resigned(&base, Kind::Auth, |p| remove(&mut p.protected, 33));
    push("no x5chain", no_chain, status.clone(), Some(Code::X5chainMissing), vec!["MissingCertificate"]);
    let one_array = g.resigned(&base, Kind::Auth, |p| {
        let chain = x5chain_of(p);
        set(&mut p.protected, 33, Value::Array(vec![chain]));
    });
    push(
        "x5chain as an array of one certificate (one is a bstr)",
        one_array,
        status.clone(),
        Some(Code::X5chainMalformed),
        vec!["MalformedCertificateChain"],
    );
    let both = g.resigned(&base, Kind::Auth, |p| set(&mut p.unprotected, 1, int(-7)));
    push("alg in both buckets", both, status.clone(), Some(Code::DuplicateHeader), vec!["LabelClash"]);

    // certificates
    let garbage = g.resigned(&base, Kind::Auth, |p| set(&mut p.protected, 33, Value::Bytes(vec![0x30, 0x03, 1, 2, 3])));
    push(
        "x5chain holds bytes that are not a certificate",
        garbage,
        status.clone(),
        Some(Code::CertMalformed),
        vec!["MalformedCertificate"],
    );
    let card_cert = g.world.card("vectors").unwrap().auth.cert.clone();
    let foreign = g.resigned(&base, Kind::Auth, |p| set(&mut p.protected, 33, Value::Bytes(card_cert)));
    push(
        "a card certificate (another root) in x5chain",
        foreign,
        status.clone(),
        Some(Code::UntrustedChain),
        vec!["UntrustedChain"],
    );
    let key_cert_sign = g.crafted_cert(
        CertRole::Custom {
            ca: false,
            key_cert_sign: true,
            digital_signature: true,
            purposes: vec![Purpose::MobileAuth],
        },
        vec![],
    );
    let bad_usage = g.resigned(&base, Kind::Auth, |p| set(&mut p.protected, 33, Value::Bytes(key_cert_sign)));
    push(
        "a mobile certificate that may sign certificates",
        bad_usage,
        status.clone(),
        Some(Code::BadKeyUsage),
        vec!["KeyUsage"],
    );
    let oid = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.9.2");
    let critical = g.crafted_cert(CertRole::Leaf(Purpose::MobileAuth), vec![(oid, true, vec![5, 0])]);
    let unknown_ext = g.resigned(&base, Kind::Auth, |p| set(&mut p.protected, 33, Value::Bytes(critical)));
    push(
        "a mobile certificate with an unknown critical extension",
        unknown_ext,
        status.clone(),
        Some(Code::UnknownCriticalExtension),
        vec!["CriticalExtension"],
    );
    let sign_request = g.request(GOV_RP, Kind::Sign);
    let mut entries = crate::checks::surgery::entries_of(&sign_request);
    entries.retain(|(k, _)| *k != int(6));
    set(&mut entries, 5, int(2));
    let as_auth = g.assertion(&encode(&Value::Map(entries)).unwrap(), UserVerification::BIOMETRIC);
    let as_auth_status = g.status_for(GOV_RP, &as_auth, None);
    push(
        "an auth assertion answering a sign request",
        as_auth,
        as_auth_status,
        Some(Code::WrongPurpose),
        vec!["KindConfusion"],
    );

    // the assertion's signer and chain, each defect and each validity bound
    let auth_cert = g.world.device("phone").unwrap().installed[&Kind::Auth].cert.clone().unwrap();
    let auth_key = ParsedCert::parse(g.world.provider(), &auth_cert).unwrap().public_key;
    let signer = super::chains::Signer {
        public: &auth_key,
        subject: vec![NameAttribute::common_name("JPKI mobile auth")],
        serial: g.auth_serial.clone(),
        purpose: Purpose::MobileAuth,
        extensions: vec![],
        root: super::chains::Root::Mobile,
    };
    for variant in super::chains::variants(&g.world, &signer) {
        let input = super::chains::resigned_over(&g.world, &base, &g.se_secret(Kind::Auth), &variant.chain);
        let flags = if variant.code.is_some() { vec![variant.flag, "NoStatusQuery"] } else { vec![variant.flag] };
        push(super::chains::comment("assertion: ", variant.what), input, status.clone(), variant.code, flags);
    }

    // use
    let (shop, shop_status) = g.good(SHOP_RP, Kind::Auth);
    push(
        "an assertion made for another relying party",
        shop,
        shop_status,
        Some(Code::RpMismatch),
        vec!["RpConfusion", "NoStatusQuery"],
    );
    let unknown_nonce = g.resigned(&base, Kind::Auth, |p| *field(&mut p.payload, 2) = Value::Bytes(vec![0x5a; 32]));
    push("a nonce this verifier never made", unknown_nonce, status.clone(), Some(Code::NonceUnknown), vec!["Replay"]);
    let request = g.request(GOV_RP, Kind::Auth);
    let mut entries = crate::checks::surgery::entries_of(&request);
    set(&mut entries, 3, Value::Text("transfer all savings".into()));
    let changed = g.assertion(&encode(&Value::Map(entries)).unwrap(), UserVerification::BIOMETRIC);
    let changed_status = g.status_for(GOV_RP, &changed, None);
    push(
        "purpose changed on the way to the device",
        changed,
        changed_status,
        Some(Code::TranscriptMismatch),
        vec!["Transcript"],
    );
    // the signed time at each side of the skew bound (USE-003)
    for (offset, what, code) in [
        (-61, "signed 61 seconds before the verifier's clock", Some(Code::ClockSkew)),
        (-60, "signed 60 seconds before the verifier's clock (at the bound)", None),
        (-59, "signed 59 seconds before the verifier's clock", None),
        (59, "signed 59 seconds after the verifier's clock", None),
        (60, "signed 60 seconds after the verifier's clock (at the bound)", None),
        (61, "signed 61 seconds after the verifier's clock", Some(Code::ClockSkew)),
    ] {
        let at = now.checked_add_signed(offset).unwrap();
        let input = g.resigned(&base, Kind::Auth, |p| {
            *field(&mut p.payload, 6) = Value::Tag(1, Box::new(Value::Integer(at.into())))
        });
        let flags = if code.is_some() { vec!["ClockSkew", "NoStatusQuery"] } else { vec!["ClockSkew"] };
        push(what, input, status.clone(), code, flags);
    }
    let skewed = g.resigned(&base, Kind::Auth, |p| {
        *field(&mut p.payload, 6) = Value::Tag(1, Box::new(Value::Integer((now - 120).into())))
    });
    push(
        "signed two minutes before the verifier's clock",
        skewed,
        status.clone(),
        Some(Code::ClockSkew),
        vec!["ClockSkew"],
    );
    let request = g.request(GOV_RP, Kind::Auth);
    // no wallet signs without UV (DEV-001): the generator forges it with the reference phone's key
    let verified = g.assertion(&request, UserVerification::BIOMETRIC);
    let no_uv = g.resigned(&verified, Kind::Auth, |parts| {
        *crate::checks::surgery::field(&mut parts.payload, 4) = Value::Bool(false)
    });
    let no_uv_status = g.status_for(GOV_RP, &no_uv, None);
    push("UV flag not set", no_uv, no_uv_status, Some(Code::UvMissing), vec!["UserVerification", "NoStatusQuery"]);
    let request = g.request(GOV_RP, Kind::Sign);
    let sign_passcode = g.assertion(&request, UserVerification::PASSCODE);
    let sign_passcode_status = g.status_for(GOV_RP, &sign_passcode, None);
    push(
        "sign with the device passcode",
        sign_passcode,
        sign_passcode_status,
        Some(Code::UvMethodInsufficient),
        vec!["UserVerification"],
    );
    let request = g.request(GOV_RP, Kind::Sign);
    let mut entries = crate::checks::surgery::entries_of(&request);
    set(&mut entries, 6, Value::Bytes(g.world.provider().sha256(b"another document").to_vec()));
    let other_doc = g.assertion(&encode(&Value::Map(entries)).unwrap(), UserVerification::BIOMETRIC);
    let other_doc_status = g.status_for(GOV_RP, &other_doc, None);
    push("another document signed", other_doc, other_doc_status, Some(Code::DigestMismatch), vec!["DocumentBinding"]);

    // status
    let (fresh, fresh_status) = g.good(GOV_RP, Kind::Auth);
    push(
        "Status cannot be reached",
        fresh.clone(),
        StatusAnswerJson::Unreachable,
        Some(Code::StatusUndetermined),
        vec!["FailClosed"],
    );
    push(
        "Status's answer is for another use",
        fresh.clone(),
        status.clone(),
        Some(Code::StatusMismatch),
        vec!["StatusBinding"],
    );
    let revoked =
        g.status_for(GOV_RP, &fresh, Some(CertStatus::Revoked { reason: RevocationReason::DeviceLost, at: now - 10 }));
    push("Status says revoked", fresh.clone(), revoked, Some(Code::CertRevoked), vec!["Revoked"]);
    let suspended = g.status_for(GOV_RP, &fresh, Some(CertStatus::Suspended));
    push("Status says suspended", fresh.clone(), suspended, Some(Code::CertSuspended), vec!["Suspended"]);
    let StatusAnswerJson::Response(good_hex) = &fresh_status else { panic!() };
    let mut stale_parts = split(&hex::decode(good_hex).unwrap());
    *field(&mut stale_parts.payload, 3) = Value::Tag(1, Box::new(Value::Integer((now - 600).into())));
    let stale = join(g.world.provider(), &stale_parts, &g.world.pki().status_signer.key.secret);
    push(
        "Status's answer is ten minutes old",
        fresh.clone(),
        StatusAnswerJson::Response(hex::encode(stale)),
        Some(Code::StatusStale),
        vec!["Freshness"],
    );
    // Status's answer: its signature, its signer and chain, its times
    let mut flipped = hex::decode(good_hex).unwrap();
    *flipped.last_mut().unwrap() ^= 1;
    push(
        "Status's answer with one bit of its signature flipped",
        fresh.clone(),
        StatusAnswerJson::Response(hex::encode(flipped)),
        Some(Code::BadSignature),
        vec!["StatusSignature"],
    );
    let status_key = g.world.pki().status_signer.key.clone();
    let signer = super::chains::Signer {
        public: &status_key.public,
        subject: vec![NameAttribute::common_name("JPKI status signer")],
        serial: g.world.pki().serial("vectors status signer"),
        purpose: Purpose::StatusSigning,
        extensions: vec![],
        root: super::chains::Root::Mobile,
    };
    let good_answer = hex::decode(good_hex).unwrap();
    for variant in super::chains::variants(&g.world, &signer) {
        let answer = super::chains::resigned_over(&g.world, &good_answer, &status_key.secret, &variant.chain);
        push(
            super::chains::comment("Status's answer: ", variant.what),
            fresh.clone(),
            StatusAnswerJson::Response(hex::encode(answer)),
            variant.code,
            vec![variant.flag, "StatusSignature"],
        );
    }
    // Status's answer: every framing defect, and an answer about another serial
    for (flag, what, code, bytes) in super::framing::defects_of(&good_answer) {
        let comment = super::chains::comment("Status's answer: ", what);
        push(
            comment,
            fresh.clone(),
            StatusAnswerJson::Response(hex::encode(bytes)),
            Some(code),
            vec![flag, "StatusEncoding"],
        );
    }
    let mut other_serial = split(&good_answer);
    *field(&mut other_serial.payload, 1) = Value::Bytes(g.sign_serial.clone());
    push(
        "Status's answer about another certificate of the holder's",
        fresh.clone(),
        StatusAnswerJson::Response(hex::encode(join(g.world.provider(), &other_serial, &status_key.secret))),
        Some(Code::StatusMismatch),
        vec!["StatusSerial"],
    );
    let fresh_for = FRESHNESS;
    let window = |this_update: u64, next_update: u64| {
        let mut parts = split(&good_answer);
        *field(&mut parts.payload, 3) = Value::Tag(1, Box::new(Value::Integer(this_update.into())));
        *field(&mut parts.payload, 4) = Value::Tag(1, Box::new(Value::Integer(next_update.into())));
        StatusAnswerJson::Response(hex::encode(join(g.world.provider(), &parts, &status_key.secret)))
    };
    for (what, this_update, next_update, code) in [
        (
            "Status's answer 301 seconds old (nextUpdate still ahead)",
            now - fresh_for - 1,
            now + 10,
            Some(Code::StatusStale),
        ),
        ("Status's answer 300 seconds old (at the freshness bound)", now - fresh_for, now + 10, None),
        ("Status's answer 299 seconds old", now - fresh_for + 1, now + 10, None),
        ("Status's answer dated 59 seconds ahead", now + 59, now + 59 + fresh_for, None),
        ("Status's answer dated 60 seconds ahead (at the skew bound)", now + 60, now + 60 + fresh_for, None),
        ("Status's answer dated 61 seconds ahead", now + 61, now + 61 + fresh_for, Some(Code::StatusStale)),
        ("Status's answer one second past its nextUpdate", now - 10, now - 1, Some(Code::StatusStale)),
        ("Status's answer at its nextUpdate (still usable)", now - 10, now, None),
        ("Status's answer one second before its nextUpdate", now - 10, now + 1, None),
    ] {
        push(what, fresh.clone(), window(this_update, next_update), code, vec!["Freshness"]);
    }
    let refusal =
        ErrorMessage::from_error(&jpki_reference::Error::new(Code::NotAuthorised, "not for sign")).to_bytes().unwrap();
    push(
        "Status refuses the verifier",
        fresh,
        StatusAnswerJson::Refused(hex::encode(refusal)),
        Some(Code::NotAuthorised),
        vec!["StatusRefusal"],
    );

    let replayed = cases[1].input.clone();
    let last_counter = match field(&mut split(&replayed).payload, 3) {
        Value::Integer(i) => u32::try_from(i128::from(*i)).unwrap(),
        _ => unreachable!(),
    };
    let group = verifier_group(&g, cases, &used_nonce, last_counter);
    // the same verifier an hour past every root's notAfter (PKI-003 on the anchor)
    let late = Case {
        comment: "an assertion an hour past every root's notAfter, its certificate valid then",
        input: super::anchors::late_assertion(&mut g.world, &g.auth_serial),
        status: Some(StatusAnswerJson::Unreachable),
        code: Some(Code::CertExpired),
        flags: vec![super::anchors::FLAG, "NoStatusQuery"],
    };
    let late = verifier_group(&g, vec![late], &used_nonce, last_counter);
    let header = vec![
        "Assertions as a verifier judges them (spec/use.md). Each group's fixture is the verifier's stored state:"
            .into(),
        "the nonces it issued (with what it asked) and the last counter per certificate; each test is judged".into(),
        "alone against that state at the group's clock, with the Status answer the test carries.".into(),
    ];
    file("Assertion", "verifier", header, vec![group, late])
}

/// A verifier group: `cases` judged against the verifier's stored state at
/// the world's clock (its nonces, `used_nonce` consumed, and the last
/// counter of the auth certificate).
fn verifier_group(g: &Gen, cases: Vec<Case>, used_nonce: &str, last_counter: u32) -> VectorGroup {
    let observed = g.world.observe().verifiers[GOV_RP].clone();
    let issued_nonces = observed
        .nonces
        .iter()
        .map(|(nonce, n)| IssuedNonce {
            nonce: hex::encode(nonce),
            kind: if n.request.kind == Kind::Sign { "sign" } else { "auth" }.into(),
            purpose: n.request.purpose.clone(),
            time: n.request.time,
            expiry: n.expiry,
            document_digest: n.request.document_digest.map(hex::encode),
            consumed: hex::encode(nonce) == used_nonce,
        })
        .collect();
    let tests: Vec<VectorTest> = cases
        .into_iter()
        .enumerate()
        .map(|(i, c)| VectorTest {
            tc_id: i + 1,
            comment: c.comment.into(),
            input: hex::encode(c.input),
            endpoint: None,
            derive: None,
            status: c.status,
            result: if c.code.is_some() { "invalid" } else { "valid" }.into(),
            code: c.code.map(|c| c.as_str().to_owned()),
            flags: c.flags.into_iter().map(str::to_owned).collect(),
        })
        .collect();
    VectorGroup {
        clock: g.world.now(),
        pki_seed: hex::encode(VECTOR_SEED),
        trust_anchors: [("mobile".to_owned(), hex::encode(&g.world.pki().mobile_root.cert))].into_iter().collect(),
        rp_id: Some(GOV_RP.into()),
        issued_nonces,
        last_counters: [(hex::encode(&g.auth_serial), last_counter)].into_iter().collect(),
        setup: None,
        setup_clock: None,
        observation: None,
        tests,
    }
}

pub(super) fn notes() -> BTreeMap<String, Note> {
    let note = |bug: &str, description: &str, requirements: &[&str]| Note {
        bug_type: bug.into(),
        description: description.into(),
        requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
    };
    [
        ("Valid", note("None", "A well-formed message that must be accepted.", &["USE-013"])),
        (
            "OneTryPerEntry",
            note(
                "PinCounting",
                "At endpoints issuance_challenge_wrong_pin / _wrong_password the wallet answers the challenge through the fixture card, given a wrong auth PIN or sign password: refused, and the card's (sign, auth) failure counts are (0, 1) or (1, 0) afterwards.",
                &["PIN-001", "PIN-004"],
            ),
        ),
        (
            "SecureElementUv",
            note(
                "UserVerification",
                "The wallet's secure element uses a key only after user verification (endpoint use_request_without_uv: the holder was not verified).",
                &["DEV-001"],
            ),
        ),
        (
            "NoStatusQuery",
            note(
                "StatusQueryOrder",
                "Refused by the verifier's own checks: Status is never asked, so the holder hears of no check that did not happen.",
                &["USE-009"],
            ),
        ),
        (
            "SignatureMalleability",
            note(
                "SignatureMalleability",
                "ES256 signatures with high S are valid; never use signature bytes as an identifier.",
                &["CRY-001"],
            ),
        ),
        (
            super::misdelivery::FLAG,
            note(
                "EndpointConfusion",
                "A valid message of another type delivered at this endpoint: the receiver decodes against its own endpoint's rule before it looks at any signer or state, so it is refused by decoding (wrong_tag, malformed), or for the one pair of one shape (WipeCommand, WipeReceipt) by the signer's certificate; nothing changes.",
                &["ENC-018"],
            ),
        ),
        ("NonceLifetime", note("ReplayWindow", "A nonce is answerable for NONCE_LIFETIME_SECS only.", &["NON-003"])),
        (
            "CloneDetection",
            note("ClonedKey", "Counters strictly increase per certificate at each verifier.", &["USE-006"]),
        ),
        ("Replay", note("Replay", "A nonce is accepted once, by the verifier that made it.", &["NON-001", "NON-002"])),
        (
            "Shape",
            note(
                "MalformedEncoding",
                "Well-formed CBOR without the shape its CDDL rule gives.",
                &["ENC-001", "ENC-015"],
            ),
        ),
        (
            "WrongKey",
            note("KeyBinding", "A wallet installs a certificate only on the pending key it certifies.", &["ISS-010"]),
        ),
        ("CertificateParsing", note("CertificateValidation", "A certificate that is not X.509 DER.", &["PKI-001"])),
        (
            "WipeSigner",
            note(
                "Authorisation",
                "Only the Issuer's receipts certificate signs wipe commands.",
                &["REV-005", "PKI-005"],
            ),
        ),
        (
            "StatusFeed",
            note("None", "The Issuer's back office sets a certificate's status at once.", &["REV-005", "STA-006"]),
        ),
        (
            "FeedSigner",
            note("Authentication", "Status applies only feeds the Issuer's receipts certificate signed.", &["STA-006"]),
        ),
        (
            "FeedConflict",
            note(
                "Replay",
                "A feed never brings a revoked certificate back, changes its revocation or its kind.",
                &["STA-007", "REV-001", "INV-010"],
            ),
        ),
        (
            "FeedReplay",
            note(
                "Replay",
                "A feed older than the last one applied is refused; the last one again has no effect.",
                &["STA-008"],
            ),
        ),
        (
            "Receipt",
            note(
                "Receipt",
                "Receipts verify offline with the Issuer's trust anchor and state what happened.",
                &["REV-006", "REV-010"],
            ),
        ),
        ("ErrorMessage", note("ErrorReporting", "A registry code with its own requirement id.", &["ENC-001"])),
        ("Truncation", note("MalformedEncoding", "Truncated CBOR.", &["ENC-001"])),
        (
            "NonShortestEncoding",
            note("NonDeterministicEncoding", "An integer or length not in its shortest form.", &["ENC-002", "ENC-003"]),
        ),
        (
            "WrappedItem",
            note(
                "NonDeterministicEncoding",
                "The protected bucket is CBOR in a bstr and passes the same rules.",
                &["ENC-012"],
            ),
        ),
        ("IndefiniteLength", note("NonDeterministicEncoding", "Indefinite-length items are refused.", &["ENC-004"])),
        ("NonDeterministicEncoding", note("NonDeterministicEncoding", "Map keys out of order.", &["ENC-005"])),
        ("DuplicateKey", note("DuplicateKey", "The same map key twice.", &["ENC-006"])),
        ("TrailingBytes", note("TrailingBytes", "Bytes after the message.", &["ENC-007"])),
        ("Depth", note("ResourceExhaustion", "Nesting deeper than MAX_DEPTH.", &["ENC-008"])),
        ("Size", note("ResourceExhaustion", "A message over MAX_MESSAGE_BYTES.", &["ENC-009"])),
        ("Utf8", note("MalformedEncoding", "Text that is not UTF-8.", &["ENC-010"])),
        ("Float", note("UnsupportedType", "Floats are not used in v0.", &["ENC-011"])),
        ("UnknownField", note("UnknownField", "A header label v0 does not define.", &["ENC-013"])),
        ("WrongTag", note("WrongTag", "COSE_Sign1 must carry tag 18.", &["COSE-001"])),
        ("AlgConfusion", note("AlgorithmConfusion", "alg must be protected and ES256.", &["COSE-002", "COSE-003"])),
        ("UnknownCritical", note("UnknownCritical", "crit may name only labels v0 understands.", &["COSE-004"])),
        (
            "DerSignature",
            note("SignatureEncoding", "COSE signatures are raw r || s, 64 bytes, never DER.", &["COSE-005"]),
        ),
        ("ModifiedSignature", note("InvalidSignature", "A signature that does not verify.", &["COSE-006"])),
        ("RangeCheck", note("InvalidSignature", "r and s must lie in [1, n-1].", &["CRY-001", "COSE-006"])),
        (
            "MissingCertificate",
            note("MissingCertificate", "The signer's certificate travels in x5chain.", &["COSE-007"]),
        ),
        (
            "MalformedCertificateChain",
            note("MalformedCertificate", "One certificate is a bstr, more an array.", &["COSE-008"]),
        ),
        ("LabelClash", note("LabelClash", "A label in both header buckets.", &["COSE-009"])),
        (
            "MalformedCertificate",
            note("MalformedCertificate", "x5chain that is not a certificate.", &["PKI-001"]),
        ),
        ("UntrustedChain", note("UntrustedChain", "A certificate from another root.", &["PKI-002"])),
        ("KeyUsage", note("KeyUsage", "A leaf that is a CA, may sign certificates, or may not sign.", &["PKI-007"])),
        (
            "CriticalExtension",
            note("UnknownCritical", "An unknown critical extension (refused); an unknown non-critical one (ignored).", &["PKI-008"]),
        ),
        (
            "SignerNotAfter",
            note(
                "CertificateValidity",
                "The signer's certificate one second past, at, and one second before its notAfter (notAfter itself is still valid).",
                &["PKI-003"],
            ),
        ),
        (
            "SignerNotBefore",
            note(
                "CertificateValidity",
                "The signer's certificate one second before, at, and one second after its notBefore (notBefore itself is valid).",
                &["PKI-004"],
            ),
        ),
        ("SignerPurpose", note("KindConfusion", "The signer's certificate is for another purpose, or names none.", &["PKI-005"])),
        ("DuplicateExtension", note("MalformedCertificate", "A certificate with one extension twice.", &["PKI-001"])),
        (
            "IssuerNotCa",
            note(
                "CertificateValidation",
                "The signer under an intermediate: a CA (valid), one without cA, one without keyCertSign.",
                &["PKI-006"],
            ),
        ),
        (
            "OutsideProfile",
            note("MalformedCertificate", "An intermediate with a pathLenConstraint, outside the v0 profile.", &["PKI-001"]),
        ),
        ("CardSignKey", note("CardBinding", "The defect is in the card's sign-key signature (SignedByCardSignKey).", &["ISS-001"])),
        ("CardAuthKey", note("CardBinding", "The defect is in the card's auth-key signature (SignedByCardAuthKey).", &["ISS-001"])),
        (
            "StatusEncoding",
            note(
                "NestedEncoding",
                "Status's answer, nested in the use, with a framing defect: the verifier decodes it as strictly as the assertion.",
                &["USE-011", "ENC-012"],
            ),
        ),
        (
            "StatusSerial",
            note("StatusBinding", "Status's answer names another certificate than the one asked about.", &["USE-011"]),
        ),
        (
            "StatusSignature",
            note(
                "NestedSignature",
                "Status's answer, nested in the use: its signature and its signer's chain are the verifier's to check.",
                &["USE-011", "COSE-006"],
            ),
        ),
        (
            "KindConfusion",
            note("KindConfusion", "The kind asked and the kind signed must agree.", &["USE-008", "PKI-005"]),
        ),
        ("RpConfusion", note("RelyingPartyConfusion", "An assertion made for another rp.", &["USE-001"])),
        (
            "Transcript",
            note("SessionBinding", "The transcript binds rp, nonce, purpose and certificate.", &["USE-002"]),
        ),
        ("ClockSkew", note("ClockSkew", "The signed time within CLOCK_SKEW_SECS.", &["USE-003"])),
        (
            "UserVerification",
            note(
                "UserVerification",
                "UV set; biometric for sign, in a use and in a path-A migration moving sign.",
                &["USE-004", "USE-005", "MIG-001", "MIG-006"],
            ),
        ),
        ("DocumentBinding", note("DocumentBinding", "The document signed is the one asked for.", &["USE-007"])),
        ("FailClosed", note("FailOpen", "An unreachable Status is neither good nor revoked.", &["USE-012"])),
        ("StatusBinding", note("StatusBinding", "Status's answer names this certificate and nonce.", &["USE-011"])),
        ("Revoked", note("Revocation", "A revoked certificate is never accepted.", &["PKI-012", "USE-013"])),
        ("Suspended", note("Revocation", "A suspended certificate is not accepted.", &["PKI-013", "USE-013"])),
        ("Freshness", note("StaleStatus", "Status answers are fresh for STATUS_FRESHNESS_SECS.", &["USE-010"])),
        ("StatusRefusal", note("StatusRefusal", "Status's refusal code is the use's outcome.", &["STA-002"])),
        ("Retry", note("Idempotency", "The same request again gets the stored answer.", &["ISS-006"])),
        ("IdempotencyConflict", note("Idempotency", "The same key with another body is refused.", &["ISS-006"])),
        (
            "CardBinding",
            note("CardBinding", "Both card signatures come from one registered card.", &["ISS-001", "ISS-002"]),
        ),
        (
            "CoseKey",
            note(
                "KeyValidation",
                "A COSE_Key of another curve, a point off the curve, or one key offered for two kinds.",
                &["KEY-001", "KEY-002", "ISS-011"],
            ),
        ),
        (
            "Attestation",
            note("KeyAttestation", "Keys attested by the platform for this nonce, in SE, UV required.", &["ISS-003"]),
        ),
        (
            "CardCertificate",
            note(
                "CertificateValidation",
                "The card's certificates chain, are valid now and are not revoked.",
                &["PKI-003", "PKI-004", "PKI-006", "PKI-012"],
            ),
        ),
        (
            "OneDevice",
            note("DeviceBinding", "One device holds a kind; moving is a migration.", &["ISS-004", "ISS-005"]),
        ),
        (
            "Migration",
            note(
                "Migration",
                "A migration supersedes the old device's certificates, kind for kind, onto another device; the first commit wins.",
                &["MIG-002", "MIG-003", "MIG-004", "MIG-005", "MIG-007"],
            ),
        ),
        (
            "VerifierAuthorisation",
            note(
                "Authorisation",
                "Status answers only verifiers, about sign only when authorised.",
                &["STA-001", "STA-002"],
            ),
        ),
        ("UnknownCertificate", note("UnknownCertificate", "A serial Status has no entry for.", &["STA-005"])),
        (
            "Ownership",
            note(
                "Authorisation",
                "A device revokes, and a migration intent gives up, only its own holder's certificates.",
                &["REV-003", "MIG-002"],
            ),
        ),
        (
            super::lifecycle_bounds::SKEW_FLAG,
            note(
                "ClockSkew",
                "A lifecycle request is signed within CLOCK_SKEW_SECS of the Issuer's clock, either side; at the bound it is accepted.",
                &["REV-011"],
            ),
        ),
        (
            super::chains::ATTESTATION_FLAG,
            note(
                "KeyAttestation",
                "A test about the attestation chain of a requested key (KeyRequest key 3): whichever step of chain validation fails, the Issuer answers attestation_untrusted.",
                &["ISS-003"],
            ),
        ),
        (
            super::chains::ISSUED_FLAG,
            note(
                "MobileCertificate",
                "A certificate of an IssuanceResponse that certifies the pending key but does not validate as a mobile certificate of its kind (chain to the mobile root, validity now, EKU): the wallet refuses with the failing step's code and installs nothing.",
                &["ISS-013"],
            ),
        ),
        (
            super::anchors::FLAG,
            note(
                "AnchorValidity",
                "The group's clock is an hour past a test root's notAfter (every root's; or the platform root's or the mobile root's alone, the others valid); the certificate under it is valid then, its anchor is not: refused with cert_expired (the anchor's validity is checked like every certificate's), or attestation_untrusted when the chain is a key's attestation (ISS-003).",
                &["PKI-003"],
            ),
        ),
        (
            "KindOrder",
            note(
                "KindConfusion",
                "The key requests of one request name each kind once, sign before auth: a kind exchanged or repeated is malformed.",
                &["ISS-014"],
            ),
        ),
        (
            "WipeSerials",
            note("RemoteWipe", "A wipe receipt names exactly the certificates of the command it answers.", &["REV-007"]),
        ),
        (
            "Hold",
            note(
                "Suspension",
                "Lifting a hold needs one; putting one on needs something active.",
                &["SUS-002", "SUS-003", "SUS-004"],
            ),
        ),
        (
            "Wipe",
            note(
                "RemoteWipe",
                "A wipe receipt answers a command the Issuer delivered, signed in time by a key being wiped.",
                &["REV-005", "REV-007", "REV-011", "REV-012"],
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub(super) fn file(message: &str, role: &str, header: Vec<String>, test_groups: Vec<VectorGroup>) -> VectorFile {
    let number_of_tests = test_groups.iter().map(|g| g.tests.len()).sum();
    let used: std::collections::BTreeSet<&String> =
        test_groups.iter().flat_map(|g| g.tests.iter()).flat_map(|t| t.flags.iter()).collect();
    let notes = notes().into_iter().filter(|(k, _)| used.contains(k)).collect();
    VectorFile {
        schema: "jpki-vectors/3".into(),
        generator: format!("jpki-conformance vectors generate {}", env!("CARGO_PKG_VERSION")),
        spec_version: crate::spec_index::SPEC_VERSION.into(),
        message: message.into(),
        role: role.into(),
        number_of_tests,
        constants: [
            ("NONCE_LIFETIME_SECS", constants::NONCE_LIFETIME_SECS),
            ("STATUS_FRESHNESS_SECS", constants::STATUS_FRESHNESS_SECS),
            ("CLOCK_SKEW_SECS", constants::CLOCK_SKEW_SECS),
            ("MAX_MESSAGE_BYTES", constants::MAX_MESSAGE_BYTES as u64),
            ("MAX_DEPTH", constants::MAX_DEPTH as u64),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        header,
        notes,
        test_groups,
    }
}
