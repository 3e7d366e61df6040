//! The registry walk as checks: for every error code, a flow with one named
//! defect that must be refused with exactly that code, leaving every role's
//! state unchanged (ISS-008, USE-013, PIN-001, INV-011).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::codec::encode;
use jpki_reference::device::UserVerification;
use jpki_reference::issuer::CardEvent;
use jpki_reference::msgs::issuance::IssuanceChallenge;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::msgs::{Kind, Message, UvMethod};
use jpki_reference::pki::{CertRole, CertTemplate, IssuerRef, NameAttribute, Purpose, issue_certificate};
use jpki_reference::time::DAY;
use jpki_reference::world::{GOV_RP, Hop, IssueParams, LifecycleParams, MigrationPlan, SHOP_RP, WORLD_START};

use super::context::{self, refused};
use super::surgery::*;
use super::{Feature as F, Role};

/// A defect case, with its metadata declared where it is defined: what it
/// does, the code the SUT must answer, the role that must refuse, the
/// requirements it covers and the features it needs.
pub(crate) struct Case {
    /// What the defect is, in words.
    pub title: &'static str,
    /// The code the SUT must refuse with.
    pub code: Code,
    /// The role under test: the one that receives the defective message.
    pub role: Role,
    /// The requirements it covers (the code's own is added if missing).
    pub requirements: &'static [&'static str],
    /// The features the SUT needs for the flow.
    pub features: &'static [F],
    /// The script.
    pub run: fn(),
}

type Requirements = &'static [&'static str];

/// A defect the wallet must refuse.
fn device(features: &'static [F], requirements: Requirements, title: &'static str, code: Code, run: fn()) -> Case {
    Case { title, code, role: Role::Device, requirements, features, run }
}

/// A defect the Issuer must refuse.
fn issuer(features: &'static [F], requirements: Requirements, title: &'static str, code: Code, run: fn()) -> Case {
    Case { title, code, role: Role::Issuer, requirements, features, run }
}

/// A defect Status must refuse.
fn status(features: &'static [F], requirements: Requirements, title: &'static str, code: Code, run: fn()) -> Case {
    Case { title, code, role: Role::Status, requirements, features, run }
}

/// A defect a verifier must refuse.
fn verifier(features: &'static [F], requirements: Requirements, title: &'static str, code: Code, run: fn()) -> Case {
    Case { title, code, role: Role::Verifier, requirements, features, run }
}

/// The features of a flow that issues, then authenticates with `auth`.
const AUTH: &[F] = &[F::Issuance, F::Authentication];
/// The features of a flow that issues, then signs with `sign`.
const SIGN: &[F] = &[F::Issuance, F::Signing];
/// The features of an issuance alone.
const ISSUE: &[F] = &[F::Issuance];
/// The features of an issuance, then a migration with the old phone.
const MIGRATE: &[F] = &[F::Issuance, F::MigrationOldDevice];
/// The features of an issuance with the qualification, then a reading.
const QUALIFY: &[F] = &[F::Issuance, F::Qualification];

/// An issuance whose card auth certificate chains to the card root through
/// an intermediate of `role`.
fn issue_through_intermediate(role: CertRole) -> Result<Vec<u8>, jpki_reference::world::FlowError> {
    let mut w = fresh();
    let provider = w.provider();
    let intermediate_key = w.pki().key(provider, "rogue-intermediate").unwrap();
    let subject = vec![NameAttribute::common_name("Rogue Intermediate")];
    let template = CertTemplate {
        serial: vec![0x41; 8],
        subject: subject.clone(),
        not_before: WORLD_START - DAY,
        not_after: WORLD_START + 365 * DAY,
        public_key: intermediate_key.public.clone(),
        role,
        extra_extensions: vec![],
    };
    let intermediate = issue_certificate(provider, &template, w.pki().card_root.as_issuer()).unwrap();
    let leaf = crafted_auth_cert(
        &w,
        "ichiro",
        CertRole::Leaf(Purpose::CardAuth),
        vec![],
        Some(IssuerRef { subject: &subject, key: &intermediate_key }),
    );
    edit_issuance(&mut w, "ichiro", move |_, _, auth| *auth = vec![leaf.clone(), intermediate.clone()])
}

/// One check per defect case.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        // chaos (the suite's chaos mode): a valid request the Issuer is too busy to judge
        device(
            ISSUE,
            &["ISS-015", "ISS-016"],
            "a valid request refused with retry_later: the wallet sends the same request again",
            Code::RetryLater,
            super::chaos::refused_then_retried,
        ),
        // encoding: defects in the UseRequest the device reads, or the assertion a verifier reads
        verifier(AUTH, &["ENC-001"], "truncated assertion", Code::Malformed, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let mut assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            assertion.pop();
            refused(w.verify(SHOP_RP, &assertion), Code::Malformed);
        }),
        device(AUTH, &["ENC-002"], "kind written in two bytes", Code::NonShortestInt, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |mut b| {
                    let last = b.pop().unwrap();
                    b.extend_from_slice(&[0x18, last]);
                    b
                }),
                Code::NonShortestInt,
            );
        }),
        device(AUTH, &["ENC-003"], "map length written in two bytes", Code::NonShortestLength, || {
            let mut w = issued();
            refused(device_reads(&mut w, |b| [&[0xb8, b[0] & 0x1f][..], &b[1..]].concat()), Code::NonShortestLength);
        }),
        device(AUTH, &["ENC-004"], "indefinite-length map", Code::IndefiniteLength, || {
            let mut w = issued();
            refused(device_reads(&mut w, |b| [&[0xbf][..], &b[1..], &[0xff]].concat()), Code::IndefiniteLength);
        }),
        device(AUTH, &["ENC-005"], "non-deterministic CBOR: unsorted keys", Code::UnsortedMapKeys, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |b| {
                    let mut entries = entries_of(&b);
                    entries.reverse();
                    raw_map(entries)
                }),
                Code::UnsortedMapKeys,
            );
        }),
        device(AUTH, &["ENC-006"], "duplicate key", Code::DuplicateMapKey, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |b| {
                    let mut entries = entries_of(&b);
                    let last = entries.last().unwrap().clone();
                    entries.push(last);
                    raw_map(entries)
                }),
                Code::DuplicateMapKey,
            );
        }),
        device(AUTH, &["ENC-007"], "trailing byte", Code::TrailingBytes, || {
            let mut w = issued();
            refused(device_reads(&mut w, |b| [&b[..], &[0x00]].concat()), Code::TrailingBytes);
        }),
        device(AUTH, &["ENC-008"], "purpose nested 20 deep", Code::TooDeep, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |b| {
                    let mut entries = entries_of(&b);
                    let mut deep = Value::Text("x".into());
                    for _ in 0..20 {
                        deep = Value::Array(vec![deep]);
                    }
                    entries[2].1 = deep;
                    raw_map(entries)
                }),
                Code::TooDeep,
            );
        }),
        device(AUTH, &["ENC-009"], "purpose of 70 000 bytes", Code::TooLarge, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |b| {
                    let mut entries = entries_of(&b);
                    entries[2].1 = Value::Text("x".repeat(70_000));
                    raw_map(entries)
                }),
                Code::TooLarge,
            );
        }),
        device(AUTH, &["ENC-010"], "rp id not UTF-8", Code::InvalidUtf8, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |mut b| {
                    let at = b.windows(4).position(|x| x == b"shop").unwrap();
                    b[at] = 0xff;
                    b
                }),
                Code::InvalidUtf8,
            );
        }),
        device(AUTH, &["ENC-011"], "kind as a float", Code::UnsupportedType, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |b| {
                    let mut entries = entries_of(&b);
                    entries[4].1 = Value::Float(2.0);
                    raw_map(entries)
                }),
                Code::UnsupportedType,
            );
        }),
        device(AUTH, &["ENC-013"], "unknown field", Code::UnknownField, || {
            let mut w = issued();
            refused(
                device_reads(&mut w, |b| {
                    let mut entries = entries_of(&b);
                    entries.push((int(7), Value::Bool(true)));
                    encode(&Value::Map(entries)).unwrap()
                }),
                Code::UnknownField,
            );
        }),
        // COSE: the assertion re-signed with the SE key after one change
        verifier(
            AUTH,
            &["ENC-005", "ENC-012"],
            "assertion whose protected header has unsorted keys",
            Code::UnsortedMapKeys,
            || {
                let mut w = issued_to_suite_phone();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                let mut parts = split(&assertion);
                parts.protected.reverse();
                // re-signed over the unsorted bytes exactly as sent, so only the encoding is wrong
                let protected = raw_map(parts.protected.clone());
                let forged = sign_with_raw_protected(w.provider(), &parts, &protected, &suite_secret(&w, Kind::Auth));
                refused(w.verify(SHOP_RP, &forged), Code::UnsortedMapKeys);
            },
        ),
        verifier(AUTH, &["COSE-001"], "untagged assertion", Code::WrongTag, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            refused(w.verify(SHOP_RP, &assertion[1..]), Code::WrongTag);
        }),
        verifier(AUTH, &["COSE-002"], "alg in the unprotected header", Code::AlgNotProtected, || {
            let mut w = issued_to_suite_phone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| {
                    remove(&mut p.protected, 1);
                    set(&mut p.unprotected, 1, int(-7));
                }),
                Code::AlgNotProtected,
            );
        }),
        verifier(AUTH, &["COSE-003"], "alg ES384", Code::UnsupportedAlg, || {
            let mut w = issued_to_suite_phone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.protected, 1, int(-35))),
                Code::UnsupportedAlg,
            );
        }),
        verifier(AUTH, &["COSE-004"], "unknown crit", Code::UnknownCritical, || {
            let mut w = issued_to_suite_phone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| {
                    set(&mut p.protected, 2, Value::Array(vec![int(99)]));
                    set(&mut p.protected, 99, int(0));
                }),
                Code::UnknownCritical,
            );
        }),
        verifier(AUTH, &["COSE-005"], "signature of 63 bytes", Code::BadSignatureSize, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            let parts = split(&assertion);
            let protected = encode(&Value::Map(parts.protected)).unwrap();
            let payload = encode(&parts.payload).unwrap();
            let short = assemble(&protected, &parts.unprotected, &payload, &parts.signature[..63]);
            refused(w.verify(SHOP_RP, &short), Code::BadSignatureSize);
        }),
        verifier(AUTH, &["COSE-006"], "bad signature", Code::BadSignature, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let mut assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            *assertion.last_mut().unwrap() ^= 1;
            refused(w.verify(SHOP_RP, &assertion), Code::BadSignature);
        }),
        verifier(AUTH, &["COSE-007"], "no x5chain", Code::X5chainMissing, || {
            let mut w = issued_to_suite_phone();
            refused(verify_edited_assertion(&mut w, SHOP_RP, |p| remove(&mut p.protected, 33)), Code::X5chainMissing);
        }),
        verifier(AUTH, &["COSE-008"], "x5chain an integer", Code::X5chainMalformed, || {
            let mut w = issued_to_suite_phone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.protected, 33, int(7))),
                Code::X5chainMalformed,
            );
        }),
        verifier(AUTH, &["COSE-009"], "alg in both buckets", Code::DuplicateHeader, || {
            let mut w = issued_to_suite_phone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.unprotected, 1, int(-7))),
                Code::DuplicateHeader,
            );
        }),
        // keys: the issuance payload's COSE_Key, re-signed by the card
        issuer(ISSUE, &["KEY-001"], "COSE_Key on P-384", Code::UnsupportedKey, || {
            let mut w = fresh();
            refused(
                edit_issuance(&mut w, "ichiro", |payload, _, _| {
                    let Value::Array(keys) = field(payload, 2) else { panic!() };
                    set_key_field(&mut keys[0], -1, int(2));
                }),
                Code::UnsupportedKey,
            );
        }),
        issuer(ISSUE, &["KEY-002"], "COSE_Key off the curve", Code::InvalidKey, || {
            let mut w = fresh();
            refused(
                edit_issuance(&mut w, "ichiro", |payload, _, _| {
                    let Value::Array(keys) = field(payload, 2) else { panic!() };
                    let Value::Bytes(y) = cose_field(&mut keys[0], -3) else { panic!() };
                    y[31] ^= 1;
                }),
                Code::InvalidKey,
            );
        }),
        // certificates
        verifier(AUTH, &["PKI-001"], "garbage certificate in the assertion", Code::CertMalformed, || {
            let mut w = issued_to_suite_phone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| {
                    set(&mut p.protected, 33, Value::Bytes(vec![0x30, 0x03, 1, 2, 3]))
                }),
                Code::CertMalformed,
            );
        }),
        verifier(AUTH, &["PKI-002"], "card certificate offered as a mobile certificate", Code::UntrustedChain, || {
            let mut w = issued_to_suite_phone();
            let card_auth = w.card("ichiro").unwrap().auth.cert.clone();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.protected, 33, Value::Bytes(card_auth))),
                Code::UntrustedChain,
            );
        }),
        issuer(ISSUE, &["PKI-003"], "card certificate expired", Code::CertExpired, || {
            let mut w = super::served::world(0);
            w.add_holder_with_card_validity("ichiro", attributes(), (WORLD_START - 10 * DAY, WORLD_START - DAY))
                .unwrap();
            w.add_device("phone");
            refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertExpired);
        }),
        issuer(ISSUE, &["PKI-004"], "card certificate not yet valid", Code::CertNotYetValid, || {
            let mut w = super::served::world(0);
            w.add_holder_with_card_validity("ichiro", attributes(), (WORLD_START + DAY, WORLD_START + 10 * DAY))
                .unwrap();
            w.add_device("phone");
            refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertNotYetValid);
        }),
        verifier(SIGN, &["PKI-005", "USE-008"], "auth assertion answering a sign request", Code::WrongPurpose, || {
            let mut w = issued();
            let digest = w.provider().sha256(b"doc");
            let request = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest)).unwrap();
            let mut entries = entries_of(&request);
            entries.retain(|(k, _)| *k != int(6));
            set(&mut entries, 5, int(2));
            let as_auth = encode(&Value::Map(entries)).unwrap();
            let assertion = w.assertion("phone", &as_auth, UserVerification::BIOMETRIC).unwrap();
            refused(w.verify(GOV_RP, &assertion), Code::WrongPurpose);
        }),
        issuer(ISSUE, &["PKI-006"], "card chain through a non-CA intermediate", Code::NotACa, || {
            let role = CertRole::Custom { ca: false, key_cert_sign: true, digital_signature: false, purposes: vec![] };
            refused(issue_through_intermediate(role), Code::NotACa);
        }),
        issuer(
            ISSUE,
            &["PKI-001"],
            "card chain through an intermediate with a pathLenConstraint",
            Code::CertMalformed,
            || {
                refused(issue_through_intermediate(CertRole::AuthorityWithPathLen(0)), Code::CertMalformed);
            },
        ),
        issuer(ISSUE, &["PKI-007"], "card auth certificate that can sign certificates", Code::BadKeyUsage, || {
            let mut w = fresh();
            let role = CertRole::Custom {
                ca: false,
                key_cert_sign: true,
                digital_signature: true,
                purposes: vec![Purpose::CardAuth],
            };
            let cert = crafted_auth_cert(&w, "ichiro", role, vec![], None);
            refused(edit_issuance(&mut w, "ichiro", move |_, _, auth| *auth = vec![cert.clone()]), Code::BadKeyUsage);
        }),
        issuer(
            ISSUE,
            &["PKI-008"],
            "unknown critical extension on the card certificate",
            Code::UnknownCriticalExtension,
            || {
                let mut w = fresh();
                let oid = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.9.1");
                let cert = crafted_auth_cert(
                    &w,
                    "ichiro",
                    CertRole::Leaf(Purpose::CardAuth),
                    vec![(oid, true, vec![5, 0])],
                    None,
                );
                refused(
                    edit_issuance(&mut w, "ichiro", move |_, _, auth| *auth = vec![cert.clone()]),
                    Code::UnknownCriticalExtension,
                );
            },
        ),
        issuer(ISSUE, &["PKI-012"], "revoked card certificate", Code::CertRevoked, || {
            let mut w = fresh();
            w.card_event("ichiro", CardEvent::AuthRevoked).unwrap();
            refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertRevoked);
        }),
        verifier(AUTH, &["PKI-013", "USE-013"], "use of a suspended certificate", Code::CertSuspended, || {
            let mut w = issued();
            w.holder_action("ichiro", HolderAction::Suspend, &LifecycleParams::with_key(9)).unwrap();
            // USE-013: a use is accepted only on a fresh `good`; `suspended` gives cert_suspended
            context::refused_under(w.authenticate("phone", SHOP_RP), Code::CertSuspended, "USE-013");
        }),
        // card PINs
        device(ISSUE, &["PIN-001"], "wrong PIN", Code::PinWrong, || {
            let mut w = fresh();
            let params = IssueParams { auth_pin: "9999".into(), ..IssueParams::both(1) };
            refused(w.issue("ichiro", "phone", &params), Code::PinWrong);
            assert_eq!(w.observe().cards["ichiro"].auth_failures, 1);
        }),
        device(ISSUE, &["PIN-002"], "locked PIN", Code::PinLocked, || {
            let mut w = fresh();
            let wrong = IssueParams { auth_pin: "9999".into(), ..IssueParams::both(1) };
            for _ in 0..3 {
                refused(w.issue("ichiro", "phone", &wrong), Code::PinWrong);
            }
            refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::PinLocked);
            assert_eq!(w.observe().cards["ichiro"].auth_failures, 3);
        }),
        // nonces
        issuer(ISSUE, &["NON-001"], "issuance nonce the issuer never made", Code::NonceUnknown, || {
            let mut w = fresh();
            let forged = IssuanceChallenge { nonce: [0x5a; 32], expiry: WORLD_START + 300 }.to_bytes().unwrap();
            let request = w.issuance_request("ichiro", "phone", &forged, &IssueParams::both(1)).unwrap();
            refused(w.submit_issuance("phone", &request), Code::NonceUnknown);
        }),
        issuer(ISSUE, &["NON-002"], "replayed issuance nonce", Code::NonceReused, || {
            let mut w = fresh();
            let challenge = w.issuance_challenge().unwrap();
            let first = w.issuance_request("ichiro", "phone", &challenge, &IssueParams::both(1)).unwrap();
            w.submit_issuance("phone", &first).unwrap();
            w.add_device("phone-2");
            let second = w.issuance_request("ichiro", "phone-2", &challenge, &IssueParams::both(2)).unwrap();
            refused(w.submit_issuance("phone-2", &second), Code::NonceReused);
        }),
        verifier(AUTH, &["NON-002"], "reused verifier nonce", Code::NonceReused, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            w.verify(SHOP_RP, &assertion).unwrap();
            refused(w.verify(SHOP_RP, &assertion), Code::NonceReused);
        }),
        verifier(AUTH, &["NON-003"], "expired verifier nonce", Code::NonceExpired, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            w.advance(301);
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            refused(w.verify(SHOP_RP, &assertion), Code::NonceExpired);
        }),
        // issuance
        issuer(ISSUE, &["ISS-002"], "auth signature from another holder's card", Code::CardMismatch, || {
            let mut w = fresh();
            w.add_holder("jiro", attributes()).unwrap();
            let other = w.card("jiro").unwrap().auth.clone();
            let challenge = w.issuance_challenge().unwrap();
            let request = w.issuance_request("ichiro", "phone", &challenge, &IssueParams::both(1)).unwrap();
            let mut envelope = entries_of(&request);
            let Value::Bytes(auth_part) = &envelope[1].1 else { panic!() };
            let mut parts = split(auth_part);
            set(&mut parts.protected, 33, Value::Bytes(other.cert.clone()));
            envelope[1].1 = Value::Bytes(join(w.provider(), &parts, &other.key.secret));
            refused(w.submit_issuance("phone", &encode(&Value::Map(envelope)).unwrap()), Code::CardMismatch);
        }),
        issuer(ISSUE, &["ISS-003"], "untrusted attestation", Code::AttestationUntrusted, || {
            let mut w = fresh();
            let card_cert = w.card("ichiro").unwrap().auth.cert.clone();
            refused(
                edit_issuance(&mut w, "ichiro", move |payload, _, _| {
                    let Value::Array(keys) = field(payload, 2) else { panic!() };
                    *cose_field(&mut keys[0], 3) = Value::Array(vec![Value::Bytes(card_cert.clone())]);
                }),
                Code::AttestationUntrusted,
            );
        }),
        issuer(ISSUE, &["ISS-004"], "active cert elsewhere", Code::ActiveElsewhere, || {
            let mut w = issued();
            w.add_device("phone-2");
            refused(w.issue("ichiro", "phone-2", &IssueParams::both(2)), Code::ActiveElsewhere);
        }),
        issuer(ISSUE, &["ISS-005"], "issued twice on one device", Code::AlreadyActive, || {
            let mut w = issued();
            refused(w.issue("ichiro", "phone", &IssueParams::both(2)), Code::AlreadyActive);
        }),
        issuer(ISSUE, &["ISS-006"], "idempotency key reused with another body", Code::IdempotencyConflict, || {
            let mut w = issued();
            refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::IdempotencyConflict);
        }),
        // use
        verifier(AUTH, &["USE-001"], "wrong rp", Code::RpMismatch, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            refused(w.verify(GOV_RP, &assertion), Code::RpMismatch);
        }),
        verifier(AUTH, &["USE-002"], "purpose changed on the way to the device", Code::TranscriptMismatch, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let mut entries = entries_of(&request);
            set(&mut entries, 3, Value::Text("transfer all savings".into()));
            let changed = encode(&Value::Map(entries)).unwrap();
            let assertion = w.assertion("phone", &changed, UserVerification::BIOMETRIC).unwrap();
            refused(w.verify(SHOP_RP, &assertion), Code::TranscriptMismatch);
        }),
        verifier(AUTH, &["USE-003"], "device clock two minutes off", Code::ClockSkew, || {
            let mut w = issued_to_suite_phone();
            let now = w.now();
            refused(
                verify_edited_assertion(&mut w, SHOP_RP, |p| {
                    *field(&mut p.payload, 6) = Value::Tag(1, Box::new(Value::Integer((now - 120).into())));
                }),
                Code::ClockSkew,
            );
        }),
        verifier(AUTH, &["USE-004"], "missing UV", Code::UvMissing, || {
            // a wallet's SE never signs without UV (DEV-001): the suite forges the
            // assertion with the keys of a phone it plays itself
            let mut w = issued_to_suite_phone();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            let secret = suite_secret(&w, Kind::Auth);
            let forged = resigned_payload(w.provider(), &assertion, &secret, |p| *field(p, 4) = Value::Bool(false));
            refused(w.verify(SHOP_RP, &forged), Code::UvMissing);
        }),
        verifier(SIGN, &["USE-005"], "passcode used for sign", Code::UvMethodInsufficient, || {
            let mut w = issued();
            let digest = w.provider().sha256(b"doc");
            let request = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest)).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::PASSCODE).unwrap();
            refused(w.verify(GOV_RP, &assertion), Code::UvMethodInsufficient);
        }),
        verifier(AUTH, &["USE-006"], "counter regression", Code::CounterRegression, || {
            let mut w = issued();
            let first = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let second = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let early = w.assertion("phone", &first, UserVerification::BIOMETRIC).unwrap();
            let late = w.assertion("phone", &second, UserVerification::BIOMETRIC).unwrap();
            w.verify(SHOP_RP, &late).unwrap();
            refused(w.verify(SHOP_RP, &early), Code::CounterRegression);
        }),
        verifier(SIGN, &["USE-007"], "another document signed", Code::DigestMismatch, || {
            let mut w = issued();
            let digest = w.provider().sha256(b"doc");
            let request = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest)).unwrap();
            let mut entries = entries_of(&request);
            set(&mut entries, 6, Value::Bytes(w.provider().sha256(b"other doc").to_vec()));
            let assertion =
                w.assertion("phone", &encode(&Value::Map(entries)).unwrap(), UserVerification::BIOMETRIC).unwrap();
            refused(w.verify(GOV_RP, &assertion), Code::DigestMismatch);
        }),
        verifier(AUTH, &["USE-010", "USE-013"], "stale status", Code::StatusStale, || {
            let mut w = issued();
            let signer = w.pki().status_signer.key.secret.clone();
            let provider = w.provider();
            let now = w.now();
            w.set_tamper(move |hop, bytes| {
                if hop == Hop::StatusResponse {
                    let mut parts = split(bytes);
                    *field(&mut parts.payload, 3) = Value::Tag(1, Box::new(Value::Integer((now - 600).into())));
                    *bytes = join(provider, &parts, &signer);
                }
            });
            refused(w.authenticate("phone", SHOP_RP), Code::StatusStale);
        }),
        verifier(AUTH, &["USE-011", "USE-013"], "status for another nonce", Code::StatusMismatch, || {
            let mut w = issued();
            let signer = w.pki().status_signer.key.secret.clone();
            let provider = w.provider();
            w.set_tamper(move |hop, bytes| {
                if hop == Hop::StatusResponse {
                    let mut parts = split(bytes);
                    *field(&mut parts.payload, 5) = Value::Bytes(vec![0; 32]);
                    *bytes = join(provider, &parts, &signer);
                }
            });
            refused(w.authenticate("phone", SHOP_RP), Code::StatusMismatch);
        }),
        verifier(AUTH, &["USE-012"], "status unreachable", Code::StatusUndetermined, || {
            let mut w = issued();
            w.status_reachable = false;
            refused(w.authenticate("phone", SHOP_RP), Code::StatusUndetermined);
        }),
        status(SIGN, &["STA-002"], "verifier not authorised for sign status", Code::NotAuthorised, || {
            let mut w = issued();
            refused(w.sign("phone", SHOP_RP, b"contract"), Code::NotAuthorised);
        }),
        status(AUTH, &["STA-001"], "status request signed by a non-verifier certificate", Code::WrongPurpose, || {
            let mut w = issued();
            let signer = w.pki().status_signer.clone();
            let provider = w.provider();
            w.set_tamper(move |hop, bytes| {
                if hop == Hop::StatusRequest {
                    let mut parts = split(bytes);
                    set(&mut parts.protected, 33, Value::Bytes(signer.cert.clone()));
                    *bytes = join(provider, &parts, &signer.key.secret);
                }
            });
            refused(w.authenticate("phone", SHOP_RP), Code::WrongPurpose);
        }),
        // lifecycle
        issuer(
            &[F::Issuance, F::MigrationCard],
            &["MIG-004"],
            "second of two concurrent migrations",
            Code::MigrationConflict,
            || {
                let mut w = issued();
                w.add_device("phone-2");
                w.add_device("phone-3");
                let old = w.installed_serials("phone").unwrap();
                let challenge = w.issuance_challenge().unwrap();
                let params = IssueParams { replaces: old.clone(), ..IssueParams::both(2) };
                let late = w.issuance_request("ichiro", "phone-3", &challenge, &params).unwrap();
                w.migrate_with_card("ichiro", "phone-2", old, 3).unwrap();
                refused(w.submit_issuance("phone-3", &late), Code::MigrationConflict);
            },
        ),
        issuer(
            &[F::Issuance, F::DeviceRevocation],
            &["REV-003"],
            "device revoking another device's certificate",
            Code::NotOwner,
            || {
                let mut w = issued();
                w.add_holder("jiro", attributes()).unwrap();
                w.add_device("phone-2");
                w.issue("jiro", "phone-2", &IssueParams::both(1)).unwrap();
                let theirs = w.installed_serials("phone-2").unwrap();
                let payload = jpki_reference::msgs::lifecycle::DeviceRevocationPayload {
                    serials: theirs,
                    reason: jpki_reference::msgs::status::RevocationReason::HolderRequest,
                    time: w.now(),
                    idempotency_key: [1; 16],
                    user_verified: true,
                };
                let request =
                    w.lifecycle_signature("phone", &payload.to_bytes().unwrap(), UserVerification::BIOMETRIC).unwrap();
                refused(w.submit_device_revocation("phone", &request), Code::NotOwner);
            },
        ),
        issuer(
            &[F::Issuance, F::Suspension],
            &["SUS-003"],
            "lifting a hold that is not there",
            Code::NotSuspended,
            || {
                let mut w = issued();
                let params = jpki_reference::world::LifecycleParams::with_key(1);
                refused(
                    w.holder_action("ichiro", jpki_reference::msgs::lifecycle::HolderAction::Resume, &params),
                    Code::NotSuspended,
                );
            },
        ),
        issuer(
            &[F::Issuance, F::RemoteWipe],
            &["REV-007"],
            "wipe receipt for a command never queued",
            Code::WipeUnknown,
            || {
                let mut w = issued_to_suite_phone();
                let params = jpki_reference::world::LifecycleParams::with_key(1);
                w.holder_action("ichiro", jpki_reference::msgs::lifecycle::HolderAction::ReportLost, &params).unwrap();
                let secret = suite_secret(&w, Kind::Auth);
                let provider = w.provider();
                w.set_tamper(move |hop, bytes| {
                    if hop == Hop::WipeReceipt {
                        let mut parts = split(bytes);
                        *field(&mut parts.payload, 1) = Value::Bytes(vec![0x77; 16]);
                        *bytes = join(provider, &parts, &secret);
                    }
                });
                refused(w.sync_device("phone"), Code::WipeUnknown);
            },
        ),
        issuer(
            MIGRATE,
            &["MIG-005"],
            "path A asks for a kind the phone does not hold",
            Code::MigrationKindsMismatch,
            || {
                let mut w = fresh();
                w.issue("ichiro", "phone", &IssueParams { kinds: vec![Kind::Auth], ..IssueParams::both(1) }).unwrap();
                w.add_device("new");
                let plan = MigrationPlan { replaces: w.installed_serials("phone").unwrap(), kinds: Kind::ALL.to_vec() };
                let intent = w.migration_intent_with("phone", "new", &plan, &LifecycleParams::with_key(2)).unwrap();
                refused(w.submit_migration("new", &intent), Code::MigrationKindsMismatch);
            },
        ),
        issuer(MIGRATE, &["MIG-006"], "path A moves sign on a passcode", Code::MigrationUvInsufficient, || {
            let mut w = issued();
            w.add_device("new");
            let params = LifecycleParams { uv_method: UvMethod::Passcode, ..LifecycleParams::with_key(2) };
            refused(w.migrate_with_old_device("phone", "new", &params), Code::MigrationUvInsufficient);
        }),
        issuer(MIGRATE, &["MIG-007"], "path A to the same phone", Code::SameDevice, || {
            let mut w = issued();
            refused(w.migrate_with_old_device("phone", "phone", &LifecycleParams::with_key(2)), Code::SameDevice);
        }),
        status(
            &[F::Issuance, F::DeviceRevocation],
            &["STA-007", "REV-001"],
            "an issuance feed replayed after the revocation",
            Code::FeedConflict,
            || {
                let mut w = issued();
                w.revoke_from_device("phone", RevocationReason::HolderRequest, &LifecycleParams::with_key(2)).unwrap();
                let first = w.sent_feeds()[0].clone();
                refused(w.status_feed_judges(&first), Code::FeedConflict);
            },
        ),
        status(
            &[F::Issuance, F::Suspension],
            &["STA-008"],
            "an issuance feed replayed during a hold",
            Code::FeedStale,
            || {
                let mut w = issued();
                w.holder_action("ichiro", HolderAction::Suspend, &LifecycleParams::with_key(2)).unwrap();
                let first = w.sent_feeds()[0].clone();
                refused(w.status_feed_judges(&first), Code::FeedStale);
            },
        ),
        device(AUTH, &["DEV-001"], "an assertion asked for without user verification", Code::SeUvRequired, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            refused(w.assertion("phone", &request, UserVerification::NONE), Code::SeUvRequired);
        }),
        device(
            &[F::Issuance, F::DeviceRevocation],
            &["DEV-001"],
            "a revocation asked for without user verification",
            Code::SeUvRequired,
            || {
                let mut w = issued();
                let params = LifecycleParams { user_verified: false, ..LifecycleParams::with_key(2) };
                refused(w.revoke_from_device("phone", RevocationReason::HolderRequest, &params), Code::SeUvRequired);
            },
        ),
        issuer(ISSUE, &["ISS-011"], "one SE key offered for both kinds", Code::DuplicateKey, || {
            let mut w = fresh();
            let request = edit_issuance(&mut w, "ichiro", |payload, _, _| share_one_key(payload));
            refused(request, Code::DuplicateKey);
        }),
        issuer(&[F::Suspension], &["SUS-004"], "a hold with nothing issued", Code::NothingLive, || {
            let mut w = fresh();
            refused(w.holder_action("ichiro", HolderAction::Suspend, &LifecycleParams::with_key(1)), Code::NothingLive);
        }),
        issuer(
            &[F::Issuance, F::DeviceRevocation],
            &["REV-011"],
            "a revocation signed ten minutes before it arrives",
            Code::LifecycleTimeSkew,
            || {
                let mut w = issued();
                let params = LifecycleParams::with_key(2);
                let request = w.device_revocation_request("phone", RevocationReason::HolderRequest, &params).unwrap();
                w.advance(600);
                refused(w.submit_device_revocation("phone", &request), Code::LifecycleTimeSkew);
            },
        ),
        issuer(
            &[F::Issuance, F::CardEvents],
            &["REV-013", "REV-009"],
            "a revoked card registered again",
            Code::CertRevoked,
            || {
                let mut w = fresh();
                w.card_event("ichiro", CardEvent::AuthRevoked).unwrap();
                w.register_card_again("ichiro").unwrap();
                context::refused_under(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertRevoked, "REV-013");
            },
        ),
        issuer(ISSUE, &["NON-004"], "one challenge past the open-session bound", Code::TooManyOpenNonces, || {
            let mut w = fresh();
            for _ in 0..jpki_reference::constants::MAX_OPEN_NONCES {
                w.issuance_challenge().unwrap();
            }
            refused(w.issuance_challenge(), Code::TooManyOpenNonces);
            // they expire, are forgotten, and challenges are made again
            w.advance(2 * jpki_reference::constants::NONCE_LIFETIME_SECS + 1);
            context::accepted(w.issuance_challenge(), "a challenge once the old ones expired");
        }),
        verifier(AUTH, &["NON-004"], "one use request past the open-nonce bound", Code::TooManyOpenNonces, || {
            let mut w = issued();
            for _ in 0..jpki_reference::constants::MAX_OPEN_NONCES {
                w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            }
            refused(w.use_request(SHOP_RP, Kind::Auth, "log in", None), Code::TooManyOpenNonces);
        }),
        issuer(
            &[F::Issuance, F::DeviceRevocation],
            &["ISS-012", "REV-002"],
            "a revocation repeated a day after its answer",
            Code::LifecycleTimeSkew,
            || {
                let mut w = issued();
                let params = LifecycleParams::with_key(2);
                let request = w.device_revocation_request("phone", RevocationReason::HolderRequest, &params).unwrap();
                w.submit_device_revocation("phone", &request).unwrap();
                // within the retention the same answer comes back; past it, the request is judged afresh
                w.advance(jpki_reference::constants::IDEMPOTENCY_RETENTION_SECS + 1);
                context::refused_under(
                    w.submit_device_revocation("phone", &request),
                    Code::LifecycleTimeSkew,
                    "ISS-012",
                );
            },
        ),
        issuer(
            &[F::Issuance, F::RemoteWipe],
            &["REV-012"],
            "a wipe receipt for a command still queued",
            Code::WipeNotDelivered,
            || {
                let mut w = issued();
                w.set_online("phone", false);
                w.holder_action("ichiro", HolderAction::ReportLost, &LifecycleParams::with_key(2)).unwrap();
                let queued = w.observe().issuer;
                // the phone comes online and answers; the suite keeps the receipt from the Issuer
                w.set_online("phone", true);
                let receipt = crate::vectors::fixtures::withhold(&mut w, Hop::WipeReceipt, |w| {
                    let _ = w.sync_device("phone");
                });
                // the Issuer as it was before it delivered the command (a control, as fixed vectors use)
                w.load_issuer(queued).unwrap();
                refused(w.issuer_judges_at("acknowledge_wipe", &receipt), Code::WipeNotDelivered);
            },
        ),
        issuer(
            ISSUE,
            &["ENC-017"],
            "a challenge asked for at the end of the clock's range",
            Code::TimeOutOfRange,
            || {
                let mut w = fresh();
                w.advance(u64::MAX - w.now() - 10);
                refused(w.issuance_challenge(), Code::TimeOutOfRange);
            },
        ),
        status(AUTH, &["STA-005"], "status asked about an unknown serial", Code::CertUnknown, || {
            let mut w = issued();
            let key = w.verifier(SHOP_RP).unwrap().credential.key.secret.clone();
            let provider = w.provider();
            w.set_tamper(move |hop, bytes| {
                if hop == Hop::StatusRequest {
                    let mut parts = split(bytes);
                    *field(&mut parts.payload, 3) = Value::Bytes(vec![0x55; 16]);
                    *bytes = join(provider, &parts, &key);
                }
            });
            refused(w.authenticate("phone", SHOP_RP), Code::CertUnknown);
        }),
        // COSE-010 (kept last: a case's id numbers its code's cases in list order)
        verifier(AUTH, &["COSE-010"], "detached (nil) payload", Code::Malformed, || {
            let mut w = issued();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            let parts = split(&assertion);
            let protected = encode(&Value::Map(parts.protected)).unwrap();
            let detached = encode(&Value::Tag(
                18,
                Box::new(Value::Array(vec![
                    Value::Bytes(protected),
                    Value::Map(parts.unprotected),
                    Value::Null,
                    Value::Bytes(parts.signature),
                ])),
            ))
            .unwrap();
            refused(w.verify(SHOP_RP, &detached), Code::Malformed);
        }),
        verifier(AUTH, &["COSE-010"], "signed over another external AAD", Code::BadSignature, || {
            let mut w = issued_to_suite_phone();
            let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
            let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
            let parts = split(&assertion);
            let protected = encode(&Value::Map(parts.protected)).unwrap();
            let payload = encode(&parts.payload).unwrap();
            let secret = suite_secret(&w, Kind::Auth);
            let signed = sign_raw_over(w.provider(), &protected, &parts.unprotected, &payload, b"jpki", &secret);
            refused(w.verify(SHOP_RP, &signed), Code::BadSignature);
        }),
        // the qualification's refusals (spec/qualification.md; scripts in qualification.rs)
        device(
            QUALIFY,
            &["QUA-005"],
            "present without consent: refused",
            Code::ConsentDeclined,
            super::qualification::present_without_consent,
        ),
        device(
            QUALIFY,
            &["QUA-007"],
            "an MSO past its presentations",
            Code::MdocExhausted,
            super::qualification::each_mso_serves_a_bounded_number,
        ),
        verifier(
            QUALIFY,
            &["QUA-012", "QUA-009"],
            "a genuine element not asked for",
            Code::NotRequested,
            super::qualification::reader_refuses_unrequested_elements,
        ),
        verifier(
            QUALIFY,
            &["QUA-010", "QUA-014"],
            "a released element changed",
            Code::ItemDigestMismatch,
            super::qualification::reader_refuses_a_changed_element,
        ),
        verifier(
            QUALIFY,
            &["QUA-011"],
            "an MSO a second past validUntil",
            Code::MdocExpired,
            super::qualification::reader_refuses_an_expired_mso,
        ),
        verifier(
            QUALIFY,
            &["QUA-013", "QUA-008"],
            "another session's device signature",
            Code::DeviceAuthFailed,
            super::qualification::reader_refuses_another_sessions_signature,
        ),
    ]
}
