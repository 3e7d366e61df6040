//! Vector files judged by the server roles: IssuanceRequest by the Issuer,
//! StatusRequest by Status. Each group's fixture is the role's whole stored
//! state (its observation, spec/observation.cddl) at the group's clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::codec::cose_sign1::{SignOptions, sign1};
use jpki_reference::codec::encode;
use jpki_reference::constants;
use jpki_reference::crypto::SecretKey;
use jpki_reference::issuer::CardEvent;
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::issuance::IssuanceChallenge;
use jpki_reference::msgs::status::StatusRequestPayload;
use jpki_reference::pki::{CertRole, CertTemplate, IssuerRef, NameAttribute, ParsedCert, Purpose, issue_certificate};
use jpki_reference::time::DAY;
use jpki_reference::world::{GOV_RP, IssueParams, SHOP_RP, WORLD_START, World};

use super::VECTOR_SEED;
use super::fixtures::withhold;
use super::format::{VectorFile, VectorGroup, VectorTest};
use super::generate::file;
use crate::checks::surgery::{attributes, crafted_auth_cert, entries_of, field, int, join, split};

/// One test being built.
pub(super) struct Case {
    pub(super) comment: &'static str,
    pub(super) input: Vec<u8>,
    pub(super) code: Option<Code>,
    pub(super) flags: Vec<&'static str>,
    pub(super) endpoint: Option<&'static str>,
    pub(super) derive: Option<&'static str>,
}

impl Case {
    /// A test of the message received at `endpoint`.
    pub(super) fn at(
        endpoint: &'static str,
        comment: &'static str,
        input: Vec<u8>,
        code: Option<Code>,
        flags: Vec<&'static str>,
    ) -> Case {
        Case { comment, input, code, flags, endpoint: Some(endpoint), derive: None }
    }

    /// This test, its input remade for the judged wallet as `derive` says
    /// (see [`VectorTest::derive`](super::format::VectorTest::derive)).
    pub(super) fn derived(self, derive: &'static str) -> Case {
        Case { derive: Some(derive), ..self }
    }
}

fn group(world: &World, observation: Vec<u8>, cases: Vec<Case>, first_id: usize) -> VectorGroup {
    group_with(world, Some(observation), None, cases, first_id)
}

/// A group at the world's clock with its trust anchors; the judge starts
/// from `observation` (server roles) or the recipe `setup` (devices).
pub(super) fn group_with(
    world: &World,
    observation: Option<Vec<u8>>,
    setup: Option<&str>,
    cases: Vec<Case>,
    first_id: usize,
) -> VectorGroup {
    let tests = cases
        .into_iter()
        .enumerate()
        .map(|(i, c)| VectorTest {
            tc_id: first_id + i,
            comment: c.comment.into(),
            input: hex::encode(c.input),
            endpoint: c.endpoint.map(str::to_owned),
            derive: c.derive.map(str::to_owned),
            status: None,
            result: if c.code.is_some() { "invalid" } else { "valid" }.into(),
            code: c.code.map(|c| c.as_str().to_owned()),
            flags: c.flags.into_iter().map(str::to_owned).collect(),
        })
        .collect();
    VectorGroup {
        clock: world.now(),
        pki_seed: hex::encode(VECTOR_SEED),
        trust_anchors: [
            ("card".to_owned(), hex::encode(&world.pki().card_root.cert)),
            ("mobile".to_owned(), hex::encode(&world.pki().mobile_root.cert)),
            ("platform".to_owned(), hex::encode(&world.pki().platform_root.cert)),
        ]
        .into_iter()
        .collect(),
        rp_id: None,
        issued_nonces: vec![],
        last_counters: Default::default(),
        setup: setup.map(str::to_owned),
        setup_clock: None,
        observation: observation.map(hex::encode),
        tests,
    }
}

pub(super) fn cbor<T: serde::Serialize>(state: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(state, &mut bytes).unwrap();
    bytes
}

/// An IssuanceRequest re-signed by `holder`'s card after `edit` changes the
/// payload and, optionally, the auth part's certificate chain.
fn resigned(
    world: &World,
    request: &[u8],
    holder: &str,
    edit: impl Fn(&mut Value),
    auth_chain: Option<Vec<Vec<u8>>>,
    auth_holder: Option<&str>,
) -> Vec<u8> {
    let card = world.card(holder).unwrap().clone();
    let auth_card = world.card(auth_holder.unwrap_or(holder)).unwrap().clone();
    let mut envelope = entries_of(request);
    let Value::Bytes(first) = &envelope[0].1 else { panic!() };
    let mut payload = split(first).payload;
    edit(&mut payload);
    for (key, part) in envelope.iter_mut() {
        let (secret, chain): (&SecretKey, Vec<Vec<u8>>) = if *key == int(1) {
            (&card.sign.key.secret, vec![card.sign.cert.clone()])
        } else {
            (&auth_card.auth.key.secret, auth_chain.clone().unwrap_or_else(|| vec![auth_card.auth.cert.clone()]))
        };
        let x5chain = if chain.len() == 1 {
            Value::Bytes(chain[0].clone())
        } else {
            Value::Array(chain.into_iter().map(Value::Bytes).collect())
        };
        let parts = crate::checks::surgery::Parts {
            protected: vec![(int(1), int(-7)), (int(33), x5chain)],
            unprotected: vec![],
            payload: payload.clone(),
            signature: vec![],
        };
        *part = Value::Bytes(join(world.provider(), &parts, secret));
    }
    encode(&Value::Map(envelope)).unwrap()
}

fn key_field(payload: &mut Value, index: usize, key: i64) -> &mut Value {
    let Value::Array(keys) = field(payload, 2) else { panic!() };
    field(&mut keys[index], key)
}

/// IssuanceRequest as the Issuer judges it.
pub(super) fn issuer_issuance_request() -> VectorFile {
    let mut w = World::new(VECTOR_SEED).unwrap();
    for holder in ["h1", "h2"] {
        w.add_holder(holder, attributes()).unwrap();
    }
    w.add_holder_with_card_validity("h-future", attributes(), (WORLD_START + 30 * DAY, WORLD_START + 900 * DAY))
        .unwrap();
    w.add_holder_with_card_validity("h-expired", attributes(), (WORLD_START - 900 * DAY, WORLD_START + 10)).unwrap();
    w.add_holder("h-revoked", attributes()).unwrap();
    w.card_event("h-revoked", CardEvent::AuthRevoked).unwrap();
    for device in ["p1", "p2", "p3"] {
        w.add_device(device);
    }
    let params = |tag| IssueParams::both(tag);
    let early = w.issuance_challenge().unwrap();
    let expired = w.issuance_request("h1", "p1", &early, &params(9)).unwrap();
    w.advance(constants::NONCE_LIFETIME_SECS + 100);
    let request = |w: &mut World, holder: &str, device: &str, tag: u8| {
        let challenge = w.issuance_challenge().unwrap();
        w.issuance_request(holder, device, &challenge, &params(tag)).unwrap()
    };
    let valid = request(&mut w, "h1", "p1", 1);
    let sign_only = {
        let challenge = w.issuance_challenge().unwrap();
        w.issuance_request("h2", "p2", &challenge, &IssueParams { kinds: vec![Kind::Sign], ..params(2) }).unwrap()
    };
    let base = request(&mut w, "h1", "p1", 3);
    let forged = IssuanceChallenge { nonce: [0x5a; 32], expiry: w.now() + 300 }.to_bytes().unwrap();
    let unknown_nonce = w.issuance_request("h1", "p1", &forged, &params(4)).unwrap();
    let future = request(&mut w, "h-future", "p2", 5);
    let expired_card = request(&mut w, "h-expired", "p2", 6);
    let revoked_card = request(&mut w, "h-revoked", "p2", 7);
    let card_cert = w.card("h1").unwrap().auth.cert.clone();
    let intermediate_key = w.pki().key(w.provider(), "vector-intermediate").unwrap();
    let intermediate_subject = vec![NameAttribute::common_name("Vector Intermediate")];
    let intermediate = issue_certificate(
        w.provider(),
        &CertTemplate {
            serial: vec![0x41; 8],
            subject: intermediate_subject.clone(),
            not_before: WORLD_START - DAY,
            not_after: WORLD_START + 365 * DAY,
            public_key: intermediate_key.public.clone(),
            role: CertRole::Custom { ca: false, key_cert_sign: true, digital_signature: false, purposes: vec![] },
            extra_extensions: vec![],
        },
        w.pki().card_root.as_issuer(),
    )
    .unwrap();
    let via_intermediate = crafted_auth_cert(
        &w,
        "h1",
        CertRole::Leaf(Purpose::CardAuth),
        vec![],
        Some(IssuerRef { subject: &intermediate_subject, key: &intermediate_key }),
    );
    let key_cert_sign = crafted_auth_cert(
        &w,
        "h1",
        CertRole::Custom { ca: false, key_cert_sign: true, digital_signature: true, purposes: vec![Purpose::CardAuth] },
        vec![],
        None,
    );
    let oid = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.9.3");
    let unknown_ext =
        crafted_auth_cert(&w, "h1", CertRole::Leaf(Purpose::CardAuth), vec![(oid, true, vec![5, 0])], None);
    // the card's two signed objects: a flipped signature, then every chain defect and validity bound
    let card = w.card("h1").unwrap().clone();
    let mut card_families = Vec::new();
    for (index, credential, purpose, subject, marker) in [
        (0, &card.sign, Purpose::CardSign, jpki_reference::pki::build::holder_subject(&attributes()), "CardSignKey"),
        (1, &card.auth, Purpose::CardAuth, vec![NameAttribute::common_name("card-auth h1")], "CardAuthKey"),
    ] {
        let outer = entries_of(&base);
        let Value::Bytes(inner) = outer[index].1.clone() else { panic!("a card signature that is not a bstr") };
        let with_inner = |inner: Vec<u8>| {
            let mut entries = outer.clone();
            entries[index].1 = Value::Bytes(inner);
            encode(&Value::Map(entries)).unwrap()
        };
        let mut flipped = inner.clone();
        *flipped.last_mut().unwrap() ^= 1;
        card_families.push(Case {
            comment: if index == 0 { "the card's sign signature flipped" } else { "the card's auth signature flipped" },
            input: with_inner(flipped),
            code: Some(Code::BadSignature),
            flags: vec!["ModifiedSignature", marker],
            endpoint: None,
            derive: None,
        });
        let serial = ParsedCert::parse(w.provider(), &credential.cert).unwrap().serial;
        let signer = super::chains::Signer {
            public: &credential.key.public,
            subject,
            serial,
            purpose,
            extensions: vec![],
            root: super::chains::Root::Card,
        };
        let prefix = if index == 0 { "card sign certificate: " } else { "card auth certificate: " };
        for mut case in super::chains::cases(&w, &inner, &credential.key.secret, &signer, None, prefix) {
            case.input = with_inner(case.input);
            case.flags.push(marker);
            card_families.push(case);
        }
    }
    // the first key's attestation: a flipped signature, every chain defect and validity bound (ISS-003)
    let Value::Bytes(by_sign_key) = entries_of(&base)[0].1.clone() else {
        panic!("a card signature that is not a bstr")
    };
    let attestation = super::chains::attestation_cases(&w, &split(&by_sign_key).payload, 2, None, |payload| {
        resigned(&w, &base, "h1", |p| *p = payload.clone(), None, None)
    });
    card_families.extend(attestation);
    let observed_a = cbor(&w.observe().issuer);
    let mut differing = entries_of(&base);
    let other = entries_of(&valid);
    differing[1] = other[1].clone();
    let mut cases_a = vec![
        Case {
            comment: "both kinds, card signatures by one card",
            input: valid.clone(),
            code: None,
            flags: vec!["Valid"],
            endpoint: None,
            derive: None,
        },
        Case { comment: "sign only", input: sign_only, code: None, flags: vec!["Valid"], endpoint: None, derive: None },
        Case {
            comment: "challenge answered after its lifetime",
            input: expired,
            code: Some(Code::NonceExpired),
            flags: vec!["NonceLifetime"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "a challenge the Issuer never made",
            input: unknown_nonce,
            code: Some(Code::NonceUnknown),
            flags: vec!["Replay"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "the two card signatures cover different payloads",
            input: encode(&Value::Map(differing)).unwrap(),
            code: Some(Code::Malformed),
            flags: vec!["CardBinding"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "auth part signed by another holder's card",
            input: resigned(&w, &base, "h1", |_| {}, None, Some("h2")),
            code: Some(Code::CardMismatch),
            flags: vec!["CardBinding"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "the two key requests' kinds exchanged (auth listed before sign)",
            input: resigned(
                &w,
                &base,
                "h1",
                |p| {
                    let (first, second) = (key_field(p, 0, 1).clone(), key_field(p, 1, 1).clone());
                    *key_field(p, 0, 1) = second;
                    *key_field(p, 1, 1) = first;
                },
                None,
                None,
            ),
            code: Some(Code::Malformed),
            flags: vec!["KindOrder"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "both key requests for the same kind",
            input: resigned(
                &w,
                &base,
                "h1",
                |p| {
                    let first = key_field(p, 0, 1).clone();
                    *key_field(p, 1, 1) = first;
                },
                None,
                None,
            ),
            code: Some(Code::Malformed),
            flags: vec!["KindOrder"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "COSE_Key on P-384",
            input: resigned(
                &w,
                &base,
                "h1",
                |p| {
                    *key_field(p, 0, 2) = {
                        let mut k = key_field(p, 0, 2).clone();
                        set_crv(&mut k);
                        k
                    }
                },
                None,
                None,
            ),
            code: Some(Code::UnsupportedKey),
            flags: vec!["CoseKey"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "COSE_Key point off the curve",
            input: resigned(&w, &base, "h1", |p| flip_y(key_field(p, 0, 2)), None, None),
            code: Some(Code::InvalidKey),
            flags: vec!["CoseKey"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "one SE key offered for sign and auth",
            input: resigned(&w, &base, "h1", crate::checks::surgery::share_one_key, None, None),
            code: Some(Code::DuplicateKey),
            flags: vec!["CoseKey"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "attestation chain from another root",
            input: resigned(
                &w,
                &base,
                "h1",
                |p| *key_field(p, 0, 3) = Value::Array(vec![Value::Bytes(card_cert.clone())]),
                None,
                None,
            ),
            code: Some(Code::AttestationUntrusted),
            flags: vec!["Attestation"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "card certificate through a non-CA intermediate",
            input: resigned(&w, &base, "h1", |_| {}, Some(vec![via_intermediate, intermediate]), None),
            code: Some(Code::NotACa),
            flags: vec!["CardCertificate"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "card auth certificate that may sign certificates",
            input: resigned(&w, &base, "h1", |_| {}, Some(vec![key_cert_sign]), None),
            code: Some(Code::BadKeyUsage),
            flags: vec!["CardCertificate"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "card certificate with an unknown critical extension",
            input: resigned(&w, &base, "h1", |_| {}, Some(vec![unknown_ext]), None),
            code: Some(Code::UnknownCriticalExtension),
            flags: vec!["CardCertificate"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "card not yet valid",
            input: future,
            code: Some(Code::CertNotYetValid),
            flags: vec!["CardCertificate"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "card expired",
            input: expired_card,
            code: Some(Code::CertExpired),
            flags: vec!["CardCertificate"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "card revoked at J-LIS",
            input: revoked_card,
            code: Some(Code::CertRevoked),
            flags: vec!["CardCertificate"],
            endpoint: None,
            derive: None,
        },
    ];
    cases_a.extend(card_families);
    let first_group = group(&w, observed_a, cases_a, 1);
    let next_id = first_group.tests.len() + 1;

    // group B: h1 already holds both kinds on p1
    // the Issuer alone commits it (p1 has prepared other keys since)
    w.issuer_judges(&valid).unwrap();
    let old: Vec<Vec<u8>> = w.observe().issuer.certs.keys().cloned().collect();
    let reused_challenge = {
        let mut entries = entries_of(&valid);
        let Value::Bytes(part) = &entries[0].1 else { panic!() };
        let payload = split(part).payload;
        let mut nonce_payload = payload.clone();
        let nonce = field(&mut nonce_payload, 1).clone();
        let _ = &mut entries;
        IssuanceChallenge {
            nonce: match nonce {
                Value::Bytes(n) => n.try_into().unwrap(),
                _ => panic!(),
            },
            expiry: w.now(),
        }
        .to_bytes()
        .unwrap()
    };
    let elsewhere = request(&mut w, "h1", "p2", 11);
    let same_device = request(&mut w, "h1", "p1", 12);
    let conflict = request(&mut w, "h1", "p2", 1);
    let replay_nonce = w.issuance_request("h1", "p2", &reused_challenge, &params(13)).unwrap();
    let migrate = {
        let challenge = w.issuance_challenge().unwrap();
        w.issuance_request("h1", "p2", &challenge, &IssueParams { replaces: old.clone(), ..params(14) }).unwrap()
    };
    let late_migration = {
        let challenge = w.issuance_challenge().unwrap();
        w.issuance_request("h1", "p3", &challenge, &IssueParams { replaces: old.clone(), ..params(15) }).unwrap()
    };
    let observed_b = cbor(&w.observe().issuer);
    let cases_b = vec![
        Case {
            comment: "the first request again, byte for byte: the stored answer",
            input: valid,
            code: None,
            flags: vec!["Retry"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "migration with the card (path B): supersedes the old device",
            input: migrate.clone(),
            code: None,
            flags: vec!["Migration"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "the same kind on another device",
            input: elsewhere,
            code: Some(Code::ActiveElsewhere),
            flags: vec!["OneDevice"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "the same kind again on the same device",
            input: same_device,
            code: Some(Code::AlreadyActive),
            flags: vec!["OneDevice"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "the first request's idempotency key with another body",
            input: conflict,
            code: Some(Code::IdempotencyConflict),
            flags: vec!["IdempotencyConflict"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "a completed issuance's challenge answered again",
            input: replay_nonce,
            code: Some(Code::NonceReused),
            flags: vec!["Replay"],
            endpoint: None,
            derive: None,
        },
    ];
    let second_group = group(&w, observed_b, cases_b, next_id);
    let next_id = next_id + second_group.tests.len();

    // group C: the migration above committed; a second one for the same old certificates loses
    w.issuer_judges(&migrate).unwrap();
    let observed_c = cbor(&w.observe().issuer);
    let cases_c = vec![Case {
        comment: "a second migration of certificates already superseded",
        input: late_migration,
        code: Some(Code::MigrationConflict),
        flags: vec!["Migration"],
        endpoint: None,
        derive: None,
    }];
    let third_group = group(&w, observed_c, cases_c, next_id);
    let header = vec![
        "IssuanceRequests as the Issuer judges them (spec/issuance.md, spec/lifecycle.md §1). Each group's fixture"
            .into(),
        "is the Issuer's whole stored state (observation, spec/observation.cddl) at the group's clock; each test is"
            .into(),
        "judged alone against it. The card keys and the test PKI derive from pkiSeed (spec/certificates.md §6).".into(),
    ];
    // an hour past every root's notAfter, the card's sign certificate valid then (PKI-003)
    let next_id = next_id + third_group.tests.len();
    super::anchors::advance_past_roots(&mut w);
    let challenge = w.issuance_challenge().unwrap();
    let late = w.issuance_request("h1", "p1", &challenge, &params(21)).unwrap();
    let outer = entries_of(&late);
    let Value::Bytes(by_sign_key) = outer[0].1.clone() else { panic!("a card signature that is not a bstr") };
    let sign_signer = super::chains::Signer {
        public: &card.sign.key.public,
        subject: jpki_reference::pki::build::holder_subject(&attributes()),
        serial: ParsedCert::parse(w.provider(), &card.sign.cert).unwrap().serial,
        purpose: Purpose::CardSign,
        extensions: vec![],
        root: super::chains::Root::Card,
    };
    let comment = "a request an hour past every root's notAfter, the card's sign certificate valid then";
    let mut case = super::anchors::late_case(&w, None, comment, &by_sign_key, &card.sign.key.secret, &sign_signer);
    let mut entries = outer.clone();
    entries[0].1 = Value::Bytes(case.input);
    case.input = encode(&Value::Map(entries)).unwrap();
    case.flags.push("CardSignKey");
    let fourth_group = group(&w, cbor(&w.observe().issuer), vec![case], next_id);
    // past the platform root only: the keys' attestation is the chain out of validity
    let fifth_group = super::anchors::past_platform_issuance(next_id + fourth_group.tests.len());
    let sixth_group = inline_part_group(next_id + fourth_group.tests.len() + fifth_group.tests.len());
    let groups = vec![first_group, second_group, third_group, fourth_group, fifth_group, sixth_group];
    file("IssuanceRequest", "issuer", header, groups)
}

/// A sound request whose sign part is the COSE_Sign1 itself, not the bstr
/// the CDDL gives (`bstr .cbor`): refused with `malformed` (ENC-001), as a
/// decoder lenient about the wrapping would not.
fn inline_part_group(first_id: usize) -> VectorGroup {
    let mut w = World::new(VECTOR_SEED).unwrap();
    w.add_holder("h1", attributes()).unwrap();
    w.add_device("p1");
    let challenge = w.issuance_challenge().unwrap();
    let request = w.issuance_request("h1", "p1", &challenge, &IssueParams::both(1)).unwrap();
    let mut entries = entries_of(&request);
    let Value::Bytes(sign_part) = entries[0].1.clone() else { panic!("a sign part that is not a bstr") };
    entries[0].1 = jpki_reference::codec::decode_v0(&sign_part).unwrap();
    let case = Case {
        comment: "the card's sign part as the COSE_Sign1 itself, not wrapped in a bstr",
        input: encode(&Value::Map(entries)).unwrap(),
        code: Some(Code::Malformed),
        flags: vec!["Shape"],
        endpoint: None,
        derive: None,
    };
    group(&w, cbor(&w.observe().issuer), vec![case], first_id)
}

fn set_crv(key: &mut Value) {
    *field(key, -1) = int(2);
}

fn flip_y(key: &mut Value) {
    if let Value::Bytes(y) = field(key, -3) {
        y[31] ^= 1;
    }
}

/// StatusRequest as Status judges it.
pub(super) fn status_request() -> VectorFile {
    let mut w = World::new(VECTOR_SEED).unwrap();
    w.add_holder("h1", attributes()).unwrap();
    w.add_device("p1");
    w.issue("h1", "p1", &IssueParams::both(1)).unwrap();
    let device = w.device("p1").unwrap();
    let serial =
        |kind: Kind| ParsedCert::parse(w.provider(), device.installed[&kind].cert.as_ref().unwrap()).unwrap().serial;
    let (auth, sign) = (serial(Kind::Auth), serial(Kind::Sign));
    let query = |w: &World, as_rp: &str, rp_id: &str, serial: &[u8], signer: Option<(&SecretKey, Vec<u8>)>| {
        let verifier = w.verifier(as_rp).unwrap().credential.clone();
        let (secret, cert) =
            signer.map(|(s, c)| (s.clone(), c)).unwrap_or((verifier.key.secret.clone(), verifier.cert.clone()));
        let payload = StatusRequestPayload { rp_id: rp_id.into(), nonce: [0x33; 32], serial: serial.to_vec() }
            .to_bytes()
            .unwrap();
        sign1(w.provider(), &secret, &payload, &SignOptions { x5chain: &[cert], external_aad: b"" }).unwrap()
    };
    let status_signer = w.pki().status_signer.clone();
    let card = w.card("h1").unwrap().auth.clone();
    let mut flipped = query(&w, SHOP_RP, SHOP_RP, &auth, None);
    *flipped.last_mut().unwrap() ^= 1;
    let mut cases = vec![
        Case {
            comment: "auth certificate, asked by a verifier",
            input: query(&w, SHOP_RP, SHOP_RP, &auth, None),
            code: None,
            flags: vec!["Valid"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "sign certificate, asked by a verifier authorised for sign",
            input: query(&w, GOV_RP, GOV_RP, &sign, None),
            code: None,
            flags: vec!["Valid"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "sign certificate, asked by a verifier not authorised for sign",
            input: query(&w, SHOP_RP, SHOP_RP, &sign, None),
            code: Some(Code::NotAuthorised),
            flags: vec!["VerifierAuthorisation"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "asks as another rp than its certificate names",
            input: query(&w, SHOP_RP, GOV_RP, &auth, None),
            code: Some(Code::NotAuthorised),
            flags: vec!["VerifierAuthorisation"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "a serial Status has no entry for",
            input: query(&w, SHOP_RP, SHOP_RP, &[0x55; 16], None),
            code: Some(Code::CertUnknown),
            flags: vec!["UnknownCertificate"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "signed with the status signer's own certificate (not a verifier)",
            input: query(&w, SHOP_RP, SHOP_RP, &auth, Some((&status_signer.key.secret, status_signer.cert.clone()))),
            code: Some(Code::WrongPurpose),
            flags: vec!["VerifierAuthorisation"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "signed with a card certificate (another root)",
            input: query(&w, SHOP_RP, SHOP_RP, &auth, Some((&card.key.secret, card.cert.clone()))),
            code: Some(Code::UntrustedChain),
            flags: vec!["VerifierAuthorisation"],
            endpoint: None,
            derive: None,
        },
        Case {
            comment: "one bit of the signature flipped",
            input: flipped,
            code: Some(Code::BadSignature),
            flags: vec!["ModifiedSignature"],
            endpoint: None,
            derive: None,
        },
    ];
    // the verifier's certificate: each defect and each validity bound
    let shop = w.verifier(SHOP_RP).unwrap().credential.clone();
    let signer = super::chains::Signer {
        public: &shop.key.public,
        subject: vec![NameAttribute::common_name(SHOP_RP)],
        serial: w.pki().serial("vectors verifier"),
        purpose: Purpose::Verifier,
        extensions: vec![],
        root: super::chains::Root::Mobile,
    };
    let base = query(&w, SHOP_RP, SHOP_RP, &auth, None);
    cases.extend(super::chains::cases(&w, &base, &shop.key.secret, &signer, None, "verifier certificate: "));
    let observed = cbor(&w.observe().status);
    let first = group(&w, observed, cases, 1);
    // an hour past every root's notAfter, the verifier's certificate valid then (PKI-003)
    super::anchors::advance_past_roots(&mut w);
    let comment = "a query an hour past every root's notAfter, the verifier certificate valid then";
    let late = vec![super::anchors::late_case(&w, None, comment, &base, &shop.key.secret, &signer)];
    let late = group(&w, cbor(&w.observe().status), late, first.tests.len() + 1);
    let header = vec![
        "StatusRequests as Status judges them (spec/use.md §3). The fixture is Status's stored state (observation,"
            .into(),
        "spec/observation.cddl); verifier certificates chain to the mobile root derived from pkiSeed.".into(),
    ];
    file("StatusRequest", "status", header, vec![first, late])
}

/// Runs `flow` and returns the bytes sent at `hop`, withheld (see [`withhold`]).
pub(super) fn capture(world: &mut World, hop: jpki_reference::world::Hop, flow: impl FnOnce(&mut World)) -> Vec<u8> {
    let captured = withhold(world, hop, flow);
    assert!(!captured.is_empty(), "nothing was sent at {hop:?}");
    captured
}

/// Lifecycle requests as the Issuer judges them: migration path A, holder
/// actions (card), device revocation and release, wipe receipts.
pub(super) fn issuer_lifecycle() -> VectorFile {
    use jpki_reference::msgs::UvMethod;
    use jpki_reference::msgs::lifecycle::{DeviceRevocationPayload, HolderAction, WipeReceiptPayload};
    use jpki_reference::msgs::status::RevocationReason;
    use jpki_reference::world::{Hop, LifecycleParams, MigrationPlan};
    let mut w = World::new(VECTOR_SEED).unwrap();
    for (holder, device) in [("h1", "p1"), ("h2", "p2")] {
        w.add_holder(holder, attributes()).unwrap();
        w.add_device(device);
        w.issue(holder, device, &IssueParams::both(1)).unwrap();
    }
    w.add_device("p3");
    // h3 has a card and nothing issued
    w.add_holder("h3", attributes()).unwrap();
    let key = LifecycleParams::with_key;
    let hold_nothing = capture(&mut w, Hop::HolderAction, |w| {
        let _ = w.holder_action("h3", HolderAction::Suspend, &key(14));
    });
    let migrate = capture(&mut w, Hop::MigrationIntent, |w| {
        let _ = w.migrate_with_old_device("p1", "p3", &key(2));
    });
    // no wallet signs an intent without UV (DEV-001): forged with the reference phone's key
    let verified = capture(&mut w, Hop::MigrationIntent, |w| {
        let _ = w.migrate_with_old_device("p1", "p3", &key(3));
    });
    let p1_auth = w.suite_secret("p1", Kind::Auth).unwrap();
    let migrate_no_uv = crate::checks::surgery::resigned_payload(w.provider(), &verified, &p1_auth, |p| {
        *field(p, 6) = Value::Bool(false)
    });
    let held = w.installed_serials("p1").unwrap();
    let auth_only: Vec<Vec<u8>> =
        held.iter().filter(|s| w.observe().issuer.certs[*s].kind == Kind::Auth).cloned().collect();
    let all_kinds = MigrationPlan { replaces: held.clone(), kinds: Kind::ALL.to_vec() };
    let adds_sign = capture(&mut w, Hop::MigrationIntent, |w| {
        let plan = MigrationPlan { replaces: auth_only, kinds: Kind::ALL.to_vec() };
        let _ = w.migration_intent_with("p1", "p3", &plan, &key(11));
    });
    let sign_on_passcode = capture(&mut w, Hop::MigrationIntent, |w| {
        let params = LifecycleParams { uv_method: UvMethod::Passcode, ..key(12) };
        let _ = w.migration_intent_with("p1", "p3", &all_kinds, &params);
    });
    let to_itself = capture(&mut w, Hop::MigrationIntent, |w| {
        let _ = w.migration_intent_with("p1", "p1", &all_kinds, &key(13));
    });
    let revoke = capture(&mut w, Hop::DeviceRevocation, |w| {
        let _ = w.revoke_from_device("p1", RevocationReason::HolderRequest, &key(4));
    });
    let release = capture(&mut w, Hop::DeviceRevocation, |w| {
        let _ = w.revoke_from_device("p1", RevocationReason::DeviceReleased, &key(5));
    });
    let theirs = w.installed_serials("p2").unwrap();
    let not_own = DeviceRevocationPayload {
        serials: theirs.clone(),
        reason: RevocationReason::HolderRequest,
        time: w.now(),
        idempotency_key: [6; 16],
        user_verified: true,
    };
    let not_own = w
        .lifecycle_signature("p1", &not_own.to_bytes().unwrap(), jpki_reference::device::UserVerification::BIOMETRIC)
        .unwrap();
    let suspend = capture(&mut w, Hop::HolderAction, |w| {
        let _ = w.holder_action("h1", HolderAction::Suspend, &key(7));
    });
    let resume = capture(&mut w, Hop::HolderAction, |w| {
        let _ = w.holder_action("h1", HolderAction::Resume, &key(8));
    });
    let lost = capture(&mut w, Hop::HolderAction, |w| {
        let _ = w.holder_action("h1", HolderAction::ReportLost, &key(9));
    });
    let observed_a = cbor(&w.observe().issuer);
    // each signer's certificate: every defect and validity bound
    let p1_cert = w.device("p1").unwrap().installed[&Kind::Auth].cert.clone().unwrap();
    let p1_parsed = ParsedCert::parse(w.provider(), &p1_cert).unwrap();
    let device_signer = super::chains::Signer {
        public: &p1_parsed.public_key,
        subject: vec![NameAttribute::common_name("JPKI mobile auth")],
        serial: p1_parsed.serial.clone(),
        purpose: Purpose::MobileAuth,
        extensions: vec![],
        root: super::chains::Root::Mobile,
    };
    let h1_card = w.card("h1").unwrap().auth.clone();
    let card_parsed = ParsedCert::parse(w.provider(), &h1_card.cert).unwrap();
    let card_signer = super::chains::Signer {
        public: &h1_card.key.public,
        subject: vec![NameAttribute::common_name("card-auth h1")],
        serial: card_parsed.serial.clone(),
        purpose: Purpose::CardAuth,
        extensions: vec![],
        root: super::chains::Root::Card,
    };
    let family = |endpoint: &'static str, base: &[u8], secret: &SecretKey, signer: &super::chains::Signer<'_>| {
        super::chains::cases(&w, base, secret, signer, Some(endpoint), "")
    };
    let now = w.now();
    let provider = w.provider();
    let resign = |base: &[u8], secret: &SecretKey, edit: &dyn Fn(&mut Value)| {
        crate::checks::surgery::resigned_payload(provider, base, secret, |p| edit(p))
    };
    let serials = || Value::Array(theirs.iter().cloned().map(Value::Bytes).collect());
    let mut families = super::lifecycle_bounds::skew_cases(&w, "holder_action", &suspend, &h1_card.key.secret, 2, now);
    families.extend(super::lifecycle_bounds::skew_cases(&w, "device_revocation", &revoke, &p1_auth, 3, now));
    families.push(Case::at(
        "migrate",
        "an intent naming a nonce the Issuer never made",
        resign(&migrate, &p1_auth, &|p| *field(p, 1) = Value::Bytes(vec![0x42; 32])),
        Some(Code::NonceUnknown),
        vec!["Replay"],
    ));
    families.push(Case::at(
        "migrate",
        "an intent giving up another holder's certificates",
        resign(&migrate, &p1_auth, &|p| *field(p, 2) = serials()),
        Some(Code::NotOwner),
        vec!["Ownership"],
    ));
    families.extend(family("migrate", &migrate, &p1_auth, &device_signer));
    families.extend(super::chains::attestation_cases(&w, &split(&migrate).payload, 3, Some("migrate"), |payload| {
        resign(&migrate, &p1_auth, &|p| *p = payload.clone())
    }));
    families.extend(family("device_revocation", &revoke, &p1_auth, &device_signer));
    families.extend(family("holder_action", &suspend, &h1_card.key.secret, &card_signer));
    let migrate_again = migrate.clone();
    let (suspend_late, revoke_late) = (suspend.clone(), revoke.clone());
    let mut cases_a = vec![
        Case::at("migrate", "migration with the old device at hand (path A)", migrate.clone(), None, vec!["Migration"]),
        Case::at(
            "migrate",
            "migration intent without user verification",
            migrate_no_uv,
            Some(Code::UvMissing),
            vec!["UserVerification"],
        ),
        Case::at(
            "migrate",
            "path A replaces only auth but asks for auth and sign keys",
            adds_sign,
            Some(Code::MigrationKindsMismatch),
            vec!["Migration"],
        ),
        Case::at(
            "migrate",
            "path A moves a sign key after passcode verification",
            sign_on_passcode,
            Some(Code::MigrationUvInsufficient),
            vec!["UserVerification"],
        ),
        Case::at(
            "migrate",
            "path A names keys attested by the old device itself",
            to_itself,
            Some(Code::SameDevice),
            vec!["Migration"],
        ),
        Case::at("device_revocation", "the holder revokes from the device", revoke, None, vec!["Valid"]),
        Case::at("device_revocation", "the device deletes itself before trade-in", release, None, vec!["Valid"]),
        Case::at(
            "device_revocation",
            "a device names another holder's certificates",
            not_own,
            Some(Code::NotOwner),
            vec!["Ownership"],
        ),
        Case::at("holder_action", "a hold, proven by the card", suspend, None, vec!["Valid"]),
        Case::at(
            "holder_action",
            "a hold for a holder with nothing issued",
            hold_nothing,
            Some(Code::NothingLive),
            vec!["Hold"],
        ),
        Case::at(
            "holder_action",
            "lifting a hold when nothing is on hold",
            resume,
            Some(Code::NotSuspended),
            vec!["Hold"],
        ),
        Case::at("holder_action", "phone reported lost, proven by the card", lost.clone(), None, vec!["Valid"]),
    ];
    cases_a.extend(families);
    let first = group(&w, observed_a.clone(), cases_a, 1);
    let lifetimes =
        super::lifecycle_bounds::nonce_lifetime_groups(&w, &observed_a, &migrate_again, first.tests.len() + 1);
    let before_b = first.tests.len() + lifetimes.len();

    // group B: the phone was reported lost; its wipe waits, queued (the phone offline)
    w.issuer_judges_at("holder_action", &lost).unwrap();
    let secret = w.suite_secret("p1", Kind::Auth).unwrap();
    let observed_queued = cbor(&w.observe().issuer);
    // group C: the phone came online and was sent the command (the receipt withheld)
    let receipt = capture(&mut w, Hop::WipeReceipt, |w| {
        let _ = w.sync_device("p1");
    });
    let observed_delivered = cbor(&w.observe().issuer);
    let mut parts = split(&receipt);
    let mut payload = WipeReceiptPayload::from_value(parts.payload.clone()).unwrap();
    payload.command_id = [0x77; 16];
    parts.payload = payload.to_value();
    let unknown = join(w.provider(), &parts, &secret);
    let mut late = WipeReceiptPayload::from_value(split(&receipt).payload).unwrap();
    late.time -= 600;
    let mut late_parts = split(&receipt);
    late_parts.payload = late.to_value();
    let late = join(w.provider(), &late_parts, &secret);
    let cases_b = vec![Case::at(
        "acknowledge_wipe",
        "a receipt for a command still queued, never delivered",
        receipt.clone(),
        Some(Code::WipeNotDelivered),
        vec!["Wipe"],
    )];
    let second = group(&w, observed_queued, cases_b, before_b + 1);
    let receipt_family = super::chains::cases(&w, &receipt, &secret, &device_signer, Some("acknowledge_wipe"), "");
    let receipt_for_others = resign(&receipt, &secret, &|p| *field(p, 2) = serials());
    let receipt_late = receipt.clone();
    let mut cases_c = vec![
        Case::at("acknowledge_wipe", "the lost phone's wipe receipt", receipt, None, vec!["Wipe"]),
        Case::at(
            "acknowledge_wipe",
            "a receipt for a command never queued",
            unknown,
            Some(Code::WipeUnknown),
            vec!["Wipe"],
        ),
        Case::at(
            "acknowledge_wipe",
            "a receipt signed ten minutes ago",
            late,
            Some(Code::LifecycleTimeSkew),
            vec!["Wipe"],
        ),
    ];
    cases_c.push(Case::at(
        "acknowledge_wipe",
        "a receipt for the delivered command naming another holder's certificates",
        receipt_for_others,
        Some(Code::WipeUnknown),
        vec!["WipeSerials"],
    ));
    cases_c.extend(receipt_family);
    let third = group(&w, observed_delivered, cases_c, before_b + second.tests.len() + 1);
    let next = before_b + second.tests.len() + third.tests.len() + 1;
    let fourth = super::lifecycle_bounds::conflict_group(&mut w, &lost, &h1_card.key.secret, next);
    let header = vec![
        "Lifecycle requests as the Issuer judges them (spec/lifecycle.md): each test names its endpoint. The".into(),
        "fixture is the Issuer's stored state (observation, spec/observation.cddl) at the group's clock.".into(),
    ];
    // an hour past every root's notAfter, each signer's certificate valid then (PKI-003)
    let next = next + fourth.tests.len();
    super::anchors::advance_past_roots(&mut w);
    let late = |endpoint, comment, signed: &[u8], secret: &SecretKey, signer: &super::chains::Signer<'_>| {
        super::anchors::late_case(&w, Some(endpoint), comment, signed, secret, signer)
    };
    let late_cases = vec![
        late("migrate", "an intent an hour past every root's notAfter", &migrate_again, &p1_auth, &device_signer),
        late(
            "holder_action",
            "a hold an hour past every root's notAfter",
            &suspend_late,
            &h1_card.key.secret,
            &card_signer,
        ),
        late(
            "device_revocation",
            "a revocation an hour past every root's notAfter",
            &revoke_late,
            &p1_auth,
            &device_signer,
        ),
        late(
            "acknowledge_wipe",
            "a wipe receipt an hour past every root's notAfter",
            &receipt_late,
            &secret,
            &device_signer,
        ),
    ];
    let fifth = group(&w, cbor(&w.observe().issuer), late_cases, next);
    // past the platform root only: the new keys' attestation is the chain out of validity
    let sixth = super::anchors::past_platform_migration(next + fifth.tests.len());
    let mut groups = vec![first];
    groups.extend(lifetimes);
    groups.extend([second, third, fourth, fifth, sixth]);
    file("LifecycleRequest", "issuer", header, groups)
}
