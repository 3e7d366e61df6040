//! The registry walk as checks: for every error code, a flow with one named
//! defect that must be refused with exactly that code, leaving every role's
//! state unchanged (ISS-008, USE-013, PIN-001, INV-011).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::codec::encode;
use jpki_reference::device::UserVerification;
use jpki_reference::issuer::CardEvent;
use jpki_reference::msgs::issuance::IssuanceChallenge;
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::msgs::{Kind, Message, UvMethod};
use jpki_reference::pki::{CertRole, CertTemplate, IssuerRef, NameAttribute, ParsedCert, Purpose, issue_certificate};
use jpki_reference::time::DAY;
use jpki_reference::world::{GOV_RP, Hop, IssueParams, SHOP_RP, WORLD_START};

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

impl Case {
    fn new(
        title: &'static str,
        code: Code,
        role: Role,
        requirements: &'static [&'static str],
        features: &'static [F],
        run: fn(),
    ) -> Case {
        Case { title, code, role, requirements, features, run }
    }
}

/// One check per defect case.
pub(crate) fn cases() -> Vec<Case> {
    vec![
        // encoding: defects in the UseRequest the device reads, or the assertion a verifier reads
        Case::new(
            "truncated assertion (ENC-001)",
            Code::Malformed,
            Role::Verifier,
            &["ENC-001"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let mut assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                assertion.pop();
                refused(w.verify(SHOP_RP, &assertion), Code::Malformed);
            },
        ),
        Case::new(
            "kind written in two bytes (ENC-002)",
            Code::NonShortestInt,
            Role::Device,
            &["ENC-002"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |mut b| {
                        let last = b.pop().unwrap();
                        b.extend_from_slice(&[0x18, last]);
                        b
                    }),
                    Code::NonShortestInt,
                );
            },
        ),
        Case::new(
            "map length written in two bytes (ENC-003)",
            Code::NonShortestLength,
            Role::Device,
            &["ENC-003"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |b| [&[0xb8, b[0] & 0x1f][..], &b[1..]].concat()),
                    Code::NonShortestLength,
                );
            },
        ),
        Case::new(
            "indefinite-length map (ENC-004)",
            Code::IndefiniteLength,
            Role::Device,
            &["ENC-004"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(device_reads(&mut w, |b| [&[0xbf][..], &b[1..], &[0xff]].concat()), Code::IndefiniteLength);
            },
        ),
        Case::new(
            "non-deterministic CBOR: unsorted keys (ENC-005)",
            Code::UnsortedMapKeys,
            Role::Device,
            &["ENC-005"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |b| {
                        let mut entries = entries_of(&b);
                        entries.reverse();
                        raw_map(entries)
                    }),
                    Code::UnsortedMapKeys,
                );
            },
        ),
        Case::new(
            "duplicate key (ENC-006)",
            Code::DuplicateMapKey,
            Role::Device,
            &["ENC-006"],
            &[F::Issuance, F::Authentication],
            || {
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
            },
        ),
        Case::new(
            "trailing byte (ENC-007)",
            Code::TrailingBytes,
            Role::Device,
            &["ENC-007"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(device_reads(&mut w, |b| [&b[..], &[0x00]].concat()), Code::TrailingBytes);
            },
        ),
        Case::new(
            "purpose nested 20 deep (ENC-008)",
            Code::TooDeep,
            Role::Device,
            &["ENC-008"],
            &[F::Issuance, F::Authentication],
            || {
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
            },
        ),
        Case::new(
            "purpose of 70 000 bytes (ENC-009)",
            Code::TooLarge,
            Role::Device,
            &["ENC-009"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |b| {
                        let mut entries = entries_of(&b);
                        entries[2].1 = Value::Text("x".repeat(70_000));
                        raw_map(entries)
                    }),
                    Code::TooLarge,
                );
            },
        ),
        Case::new(
            "rp id not UTF-8 (ENC-010)",
            Code::InvalidUtf8,
            Role::Device,
            &["ENC-010"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |mut b| {
                        let at = b.windows(4).position(|x| x == b"shop").unwrap();
                        b[at] = 0xff;
                        b
                    }),
                    Code::InvalidUtf8,
                );
            },
        ),
        Case::new(
            "kind as a float (ENC-011)",
            Code::UnsupportedType,
            Role::Device,
            &["ENC-011"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |b| {
                        let mut entries = entries_of(&b);
                        entries[4].1 = Value::Float(2.0);
                        raw_map(entries)
                    }),
                    Code::UnsupportedType,
                );
            },
        ),
        Case::new(
            "unknown field (ENC-013)",
            Code::UnknownField,
            Role::Device,
            &["ENC-013"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    device_reads(&mut w, |b| {
                        let mut entries = entries_of(&b);
                        entries.push((int(7), Value::Bool(true)));
                        encode(&Value::Map(entries)).unwrap()
                    }),
                    Code::UnknownField,
                );
            },
        ),
        // COSE: the assertion re-signed with the SE key after one change
        Case::new(
            "assertion whose protected header has unsorted keys (ENC-005, ENC-012)",
            Code::UnsortedMapKeys,
            Role::Verifier,
            &["ENC-005", "ENC-012"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                let mut parts = split(&assertion);
                parts.protected.reverse();
                // re-signed over the unsorted bytes exactly as sent, so only the encoding is wrong
                let protected = raw_map(parts.protected.clone());
                let forged = sign_with_raw_protected(w.provider(), &parts, &protected, &se_secret(&w, Kind::Auth));
                refused(w.verify(SHOP_RP, &forged), Code::UnsortedMapKeys);
            },
        ),
        Case::new(
            "untagged assertion (COSE-001)",
            Code::WrongTag,
            Role::Verifier,
            &["COSE-001"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                refused(w.verify(SHOP_RP, &assertion[1..]), Code::WrongTag);
            },
        ),
        Case::new(
            "alg in the unprotected header (COSE-002)",
            Code::AlgNotProtected,
            Role::Verifier,
            &["COSE-002"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| {
                        remove(&mut p.protected, 1);
                        set(&mut p.unprotected, 1, int(-7));
                    }),
                    Code::AlgNotProtected,
                );
            },
        ),
        Case::new(
            "alg ES384 (COSE-003)",
            Code::UnsupportedAlg,
            Role::Verifier,
            &["COSE-003"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.protected, 1, int(-35))),
                    Code::UnsupportedAlg,
                );
            },
        ),
        Case::new(
            "unknown crit (COSE-004)",
            Code::UnknownCritical,
            Role::Verifier,
            &["COSE-004"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| {
                        set(&mut p.protected, 2, Value::Array(vec![int(99)]));
                        set(&mut p.protected, 99, int(0));
                    }),
                    Code::UnknownCritical,
                );
            },
        ),
        Case::new(
            "signature of 63 bytes (COSE-005)",
            Code::BadSignatureSize,
            Role::Verifier,
            &["COSE-005"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                let parts = split(&assertion);
                let protected = encode(&Value::Map(parts.protected)).unwrap();
                let payload = encode(&parts.payload).unwrap();
                let short = assemble(&protected, &parts.unprotected, &payload, &parts.signature[..63]);
                refused(w.verify(SHOP_RP, &short), Code::BadSignatureSize);
            },
        ),
        Case::new(
            "bad signature (COSE-006)",
            Code::BadSignature,
            Role::Verifier,
            &["COSE-006"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let mut assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                *assertion.last_mut().unwrap() ^= 1;
                refused(w.verify(SHOP_RP, &assertion), Code::BadSignature);
            },
        ),
        Case::new(
            "no x5chain (COSE-007)",
            Code::X5chainMissing,
            Role::Verifier,
            &["COSE-007"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| remove(&mut p.protected, 33)),
                    Code::X5chainMissing,
                );
            },
        ),
        Case::new(
            "x5chain an integer (COSE-008)",
            Code::X5chainMalformed,
            Role::Verifier,
            &["COSE-008"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.protected, 33, int(7))),
                    Code::X5chainMalformed,
                );
            },
        ),
        Case::new(
            "alg in both buckets (COSE-009)",
            Code::DuplicateHeader,
            Role::Verifier,
            &["COSE-009"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.unprotected, 1, int(-7))),
                    Code::DuplicateHeader,
                );
            },
        ),
        // keys: the issuance payload's COSE_Key, re-signed by the card
        Case::new(
            "COSE_Key on P-384 (KEY-001)",
            Code::UnsupportedKey,
            Role::Issuer,
            &["KEY-001"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                refused(
                    edit_issuance(&mut w, "ichiro", |payload, _, _| {
                        let Value::Array(keys) = field(payload, 2) else { panic!() };
                        set_key_field(&mut keys[0], -1, int(2));
                    }),
                    Code::UnsupportedKey,
                );
            },
        ),
        Case::new(
            "COSE_Key off the curve (KEY-002)",
            Code::InvalidKey,
            Role::Issuer,
            &["KEY-002"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                refused(
                    edit_issuance(&mut w, "ichiro", |payload, _, _| {
                        let Value::Array(keys) = field(payload, 2) else { panic!() };
                        let Value::Bytes(y) = cose_field(&mut keys[0], -3) else { panic!() };
                        y[31] ^= 1;
                    }),
                    Code::InvalidKey,
                );
            },
        ),
        // certificates
        Case::new(
            "garbage certificate in the assertion (PKI-001)",
            Code::CertMalformed,
            Role::Verifier,
            &["PKI-001"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| {
                        set(&mut p.protected, 33, Value::Bytes(vec![0x30, 0x03, 1, 2, 3]))
                    }),
                    Code::CertMalformed,
                );
            },
        ),
        Case::new(
            "card certificate offered as a mobile certificate (PKI-002)",
            Code::UntrustedChain,
            Role::Verifier,
            &["PKI-002"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let card_auth = w.card("ichiro").unwrap().auth.cert.clone();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| set(&mut p.protected, 33, Value::Bytes(card_auth))),
                    Code::UntrustedChain,
                );
            },
        ),
        Case::new(
            "card certificate expired (PKI-003)",
            Code::CertExpired,
            Role::Issuer,
            &["PKI-003"],
            &[F::Issuance],
            || {
                let mut w = context::world(0);
                w.add_holder_with_card_validity("ichiro", attributes(), (WORLD_START - 10 * DAY, WORLD_START - DAY))
                    .unwrap();
                w.add_device("phone");
                refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertExpired);
            },
        ),
        Case::new(
            "card certificate not yet valid (PKI-004)",
            Code::CertNotYetValid,
            Role::Issuer,
            &["PKI-004"],
            &[F::Issuance],
            || {
                let mut w = context::world(0);
                w.add_holder_with_card_validity("ichiro", attributes(), (WORLD_START + DAY, WORLD_START + 10 * DAY))
                    .unwrap();
                w.add_device("phone");
                refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertNotYetValid);
            },
        ),
        Case::new(
            "auth assertion answering a sign request (PKI-005, USE-008)",
            Code::WrongPurpose,
            Role::Verifier,
            &["PKI-005", "USE-008"],
            &[F::Issuance, F::Signing],
            || {
                let mut w = issued();
                let digest = w.provider().sha256(b"doc");
                let request = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest)).unwrap();
                let mut entries = entries_of(&request);
                entries.retain(|(k, _)| *k != int(6));
                set(&mut entries, 5, int(2));
                let as_auth = encode(&Value::Map(entries)).unwrap();
                let assertion = w.assertion("phone", &as_auth, UserVerification::BIOMETRIC).unwrap();
                refused(w.verify(GOV_RP, &assertion), Code::WrongPurpose);
            },
        ),
        Case::new(
            "card chain through a non-CA intermediate (PKI-006)",
            Code::NotACa,
            Role::Issuer,
            &["PKI-006"],
            &[F::Issuance],
            || {
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
                    role: CertRole::Custom {
                        ca: false,
                        key_cert_sign: true,
                        digital_signature: false,
                        purposes: vec![],
                    },
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
                refused(
                    edit_issuance(&mut w, "ichiro", move |_, _, auth| *auth = vec![leaf.clone(), intermediate.clone()]),
                    Code::NotACa,
                );
            },
        ),
        Case::new(
            "card auth certificate that can sign certificates (PKI-007)",
            Code::BadKeyUsage,
            Role::Issuer,
            &["PKI-007"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                let role = CertRole::Custom {
                    ca: false,
                    key_cert_sign: true,
                    digital_signature: true,
                    purposes: vec![Purpose::CardAuth],
                };
                let cert = crafted_auth_cert(&w, "ichiro", role, vec![], None);
                refused(
                    edit_issuance(&mut w, "ichiro", move |_, _, auth| *auth = vec![cert.clone()]),
                    Code::BadKeyUsage,
                );
            },
        ),
        Case::new(
            "unknown critical extension on the card certificate (PKI-008)",
            Code::UnknownCriticalExtension,
            Role::Issuer,
            &["PKI-008"],
            &[F::Issuance],
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
        Case::new(
            "revoked card certificate (PKI-012)",
            Code::CertRevoked,
            Role::Issuer,
            &["PKI-012"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                w.card_event("ichiro", CardEvent::AuthRevoked).unwrap();
                refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::CertRevoked);
            },
        ),
        Case::new(
            "use of a suspended certificate (PKI-013, USE-013)",
            Code::CertSuspended,
            Role::Verifier,
            &["PKI-013", "USE-013"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let serial = ParsedCert::parse(
                    w.provider(),
                    w.device("phone").unwrap().installed[&Kind::Auth].cert.as_ref().unwrap(),
                )
                .unwrap()
                .serial;
                w.feed_status(&serial, Kind::Auth, CertStatus::Suspended).unwrap();
                // USE-013: a use is accepted only on a fresh `good`; `suspended` gives cert_suspended
                context::refused_under(w.authenticate("phone", SHOP_RP), Code::CertSuspended, "USE-013");
            },
        ),
        // card PINs
        Case::new("wrong PIN (PIN-001)", Code::PinWrong, Role::Device, &["PIN-001"], &[F::Issuance], || {
            let mut w = fresh();
            let params = IssueParams { auth_pin: "9999".into(), ..IssueParams::both(1) };
            refused(w.issue("ichiro", "phone", &params), Code::PinWrong);
            assert_eq!(w.snapshot().cards["ichiro"].auth_failures, 1);
        }),
        Case::new("locked PIN (PIN-002)", Code::PinLocked, Role::Device, &["PIN-002"], &[F::Issuance], || {
            let mut w = fresh();
            let wrong = IssueParams { auth_pin: "9999".into(), ..IssueParams::both(1) };
            for _ in 0..3 {
                refused(w.issue("ichiro", "phone", &wrong), Code::PinWrong);
            }
            refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::PinLocked);
            assert_eq!(w.snapshot().cards["ichiro"].auth_failures, 3);
        }),
        // nonces
        Case::new(
            "issuance nonce the issuer never made (NON-001)",
            Code::NonceUnknown,
            Role::Issuer,
            &["NON-001"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                let forged = IssuanceChallenge { nonce: [0x5a; 32], expiry: WORLD_START + 300 }.to_bytes().unwrap();
                let request = w.issuance_request("ichiro", "phone", &forged, &IssueParams::both(1)).unwrap();
                refused(w.submit_issuance("phone", &request), Code::NonceUnknown);
            },
        ),
        Case::new(
            "replayed issuance nonce (NON-002)",
            Code::NonceReused,
            Role::Issuer,
            &["NON-002"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                let challenge = w.issuance_challenge().unwrap();
                let first = w.issuance_request("ichiro", "phone", &challenge, &IssueParams::both(1)).unwrap();
                w.submit_issuance("phone", &first).unwrap();
                w.add_device("phone-2");
                let second = w.issuance_request("ichiro", "phone-2", &challenge, &IssueParams::both(2)).unwrap();
                refused(w.submit_issuance("phone-2", &second), Code::NonceReused);
            },
        ),
        Case::new(
            "reused verifier nonce (NON-002)",
            Code::NonceReused,
            Role::Verifier,
            &["NON-002"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                w.verify(SHOP_RP, &assertion).unwrap();
                refused(w.verify(SHOP_RP, &assertion), Code::NonceReused);
            },
        ),
        Case::new(
            "expired verifier nonce (NON-003)",
            Code::NonceExpired,
            Role::Verifier,
            &["NON-003"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                w.advance(301);
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                refused(w.verify(SHOP_RP, &assertion), Code::NonceExpired);
            },
        ),
        // issuance
        Case::new(
            "auth signature from another holder's card (ISS-002)",
            Code::CardMismatch,
            Role::Issuer,
            &["ISS-002"],
            &[F::Issuance],
            || {
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
            },
        ),
        Case::new(
            "untrusted attestation (ISS-003)",
            Code::AttestationUntrusted,
            Role::Issuer,
            &["ISS-003"],
            &[F::Issuance],
            || {
                let mut w = fresh();
                let card_cert = w.card("ichiro").unwrap().auth.cert.clone();
                refused(
                    edit_issuance(&mut w, "ichiro", move |payload, _, _| {
                        let Value::Array(keys) = field(payload, 2) else { panic!() };
                        *cose_field(&mut keys[0], 3) = Value::Array(vec![Value::Bytes(card_cert.clone())]);
                    }),
                    Code::AttestationUntrusted,
                );
            },
        ),
        Case::new(
            "active cert elsewhere (ISS-004)",
            Code::ActiveElsewhere,
            Role::Issuer,
            &["ISS-004"],
            &[F::Issuance],
            || {
                let mut w = issued();
                w.add_device("phone-2");
                refused(w.issue("ichiro", "phone-2", &IssueParams::both(2)), Code::ActiveElsewhere);
            },
        ),
        Case::new(
            "issued twice on one device (ISS-005)",
            Code::AlreadyActive,
            Role::Issuer,
            &["ISS-005"],
            &[F::Issuance],
            || {
                let mut w = issued();
                refused(w.issue("ichiro", "phone", &IssueParams::both(2)), Code::AlreadyActive);
            },
        ),
        Case::new(
            "idempotency key reused with another body (ISS-006)",
            Code::IdempotencyConflict,
            Role::Issuer,
            &["ISS-006"],
            &[F::Issuance],
            || {
                let mut w = issued();
                refused(w.issue("ichiro", "phone", &IssueParams::both(1)), Code::IdempotencyConflict);
            },
        ),
        // use
        Case::new(
            "wrong rp (USE-001)",
            Code::RpMismatch,
            Role::Verifier,
            &["USE-001"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
                refused(w.verify(GOV_RP, &assertion), Code::RpMismatch);
            },
        ),
        Case::new(
            "purpose changed on the way to the device (USE-002)",
            Code::TranscriptMismatch,
            Role::Verifier,
            &["USE-002"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let mut entries = entries_of(&request);
                set(&mut entries, 3, Value::Text("transfer all savings".into()));
                let changed = encode(&Value::Map(entries)).unwrap();
                let assertion = w.assertion("phone", &changed, UserVerification::BIOMETRIC).unwrap();
                refused(w.verify(SHOP_RP, &assertion), Code::TranscriptMismatch);
            },
        ),
        Case::new(
            "device clock two minutes off (USE-003)",
            Code::ClockSkew,
            Role::Verifier,
            &["USE-003"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let now = w.now();
                refused(
                    verify_edited_assertion(&mut w, SHOP_RP, |p| {
                        *field(&mut p.payload, 6) = Value::Tag(1, Box::new(Value::Integer((now - 120).into())));
                    }),
                    Code::ClockSkew,
                );
            },
        ),
        Case::new(
            "missing UV (USE-004)",
            Code::UvMissing,
            Role::Verifier,
            &["USE-004"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let uv = UserVerification { verified: false, method: UvMethod::Biometric };
                let assertion = w.assertion("phone", &request, uv).unwrap();
                refused(w.verify(SHOP_RP, &assertion), Code::UvMissing);
            },
        ),
        Case::new(
            "passcode used for sign (USE-005)",
            Code::UvMethodInsufficient,
            Role::Verifier,
            &["USE-005"],
            &[F::Issuance, F::Signing],
            || {
                let mut w = issued();
                let digest = w.provider().sha256(b"doc");
                let request = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest)).unwrap();
                let assertion = w.assertion("phone", &request, UserVerification::PASSCODE).unwrap();
                refused(w.verify(GOV_RP, &assertion), Code::UvMethodInsufficient);
            },
        ),
        Case::new(
            "counter regression (USE-006)",
            Code::CounterRegression,
            Role::Verifier,
            &["USE-006"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                let first = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let second = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
                let early = w.assertion("phone", &first, UserVerification::BIOMETRIC).unwrap();
                let late = w.assertion("phone", &second, UserVerification::BIOMETRIC).unwrap();
                w.verify(SHOP_RP, &late).unwrap();
                refused(w.verify(SHOP_RP, &early), Code::CounterRegression);
            },
        ),
        Case::new(
            "another document signed (USE-007)",
            Code::DigestMismatch,
            Role::Verifier,
            &["USE-007"],
            &[F::Issuance, F::Signing],
            || {
                let mut w = issued();
                let digest = w.provider().sha256(b"doc");
                let request = w.use_request(GOV_RP, Kind::Sign, "sign", Some(digest)).unwrap();
                let mut entries = entries_of(&request);
                set(&mut entries, 6, Value::Bytes(w.provider().sha256(b"other doc").to_vec()));
                let assertion =
                    w.assertion("phone", &encode(&Value::Map(entries)).unwrap(), UserVerification::BIOMETRIC).unwrap();
                refused(w.verify(GOV_RP, &assertion), Code::DigestMismatch);
            },
        ),
        Case::new(
            "stale status (USE-010, USE-013)",
            Code::StatusStale,
            Role::Verifier,
            &["USE-010", "USE-013"],
            &[F::Issuance, F::Authentication],
            || {
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
            },
        ),
        Case::new(
            "status for another nonce (USE-011, USE-013)",
            Code::StatusMismatch,
            Role::Verifier,
            &["USE-011", "USE-013"],
            &[F::Issuance, F::Authentication],
            || {
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
            },
        ),
        Case::new(
            "status unreachable (USE-012)",
            Code::StatusUndetermined,
            Role::Verifier,
            &["USE-012"],
            &[F::Issuance, F::Authentication],
            || {
                let mut w = issued();
                w.status_reachable = false;
                refused(w.authenticate("phone", SHOP_RP), Code::StatusUndetermined);
            },
        ),
        Case::new(
            "verifier not authorised for sign status (STA-002)",
            Code::NotAuthorised,
            Role::Status,
            &["STA-002"],
            &[F::Issuance, F::Signing],
            || {
                let mut w = issued();
                refused(w.sign("phone", SHOP_RP, b"contract"), Code::NotAuthorised);
            },
        ),
        Case::new(
            "status request signed by a non-verifier certificate (STA-001)",
            Code::WrongPurpose,
            Role::Status,
            &["STA-001"],
            &[F::Issuance, F::Authentication],
            || {
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
            },
        ),
        // lifecycle
        Case::new(
            "second of two concurrent migrations (MIG-004)",
            Code::MigrationConflict,
            Role::Issuer,
            &["MIG-004"],
            &[F::Issuance, F::MigrationCard],
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
        Case::new(
            "device revoking another device's certificate (REV-003)",
            Code::NotOwner,
            Role::Issuer,
            &["REV-003"],
            &[F::Issuance, F::DeviceRevocation],
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
                let request = jpki_reference::device::sign_as_device(
                    w.provider(),
                    &w.device("phone").unwrap(),
                    &payload.to_bytes().unwrap(),
                )
                .unwrap();
                refused(w.submit_device_revocation("phone", &request), Code::NotOwner);
            },
        ),
        Case::new(
            "lifting a hold that is not there (SUS-003)",
            Code::NotSuspended,
            Role::Issuer,
            &["SUS-003"],
            &[F::Issuance, F::Suspension],
            || {
                let mut w = issued();
                let params = jpki_reference::world::LifecycleParams::with_key(1);
                refused(
                    w.holder_action("ichiro", jpki_reference::msgs::lifecycle::HolderAction::Resume, &params),
                    Code::NotSuspended,
                );
            },
        ),
        Case::new(
            "wipe receipt for a command never queued (REV-007)",
            Code::WipeUnknown,
            Role::Issuer,
            &["REV-007"],
            &[F::Issuance, F::RemoteWipe],
            || {
                let mut w = issued();
                let params = jpki_reference::world::LifecycleParams::with_key(1);
                w.holder_action("ichiro", jpki_reference::msgs::lifecycle::HolderAction::ReportLost, &params).unwrap();
                let secret = se_secret(&w, Kind::Auth);
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
        Case::new(
            "status asked about an unknown serial (STA-005)",
            Code::CertUnknown,
            Role::Status,
            &["STA-005"],
            &[F::Issuance, F::Authentication],
            || {
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
            },
        ),
    ]
}
