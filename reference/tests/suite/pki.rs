//! The seed-built test PKI and chain validation: reproducibility, the card's
//! attributes, the validity rule, and one test per refusal with its code.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::cloned_ref_to_slice_refs)] // test helpers outside #[test] functions

use jpki_reference::Code;
use jpki_reference::crypto::{CryptoProvider, default_provider};
use jpki_reference::pki::oids;
use jpki_reference::pki::{
    CertRole, CertTemplate, HolderAttributes, IssuerRef, KeyAttestation, NameAttribute, ParsedCert, Purpose, Sex,
    TestPki, issue_certificate, mobile_not_after, validate_chain,
};
use jpki_reference::time::{CivilDate, DAY};

/// 2025-06-01T00:00:00Z: the injected clock of these tests.
const NOW: u64 = 1_748_736_000;
const SEED: [u8; 32] = [42; 32];

fn provider() -> &'static dyn CryptoProvider {
    default_provider()
}

fn holder() -> HolderAttributes {
    HolderAttributes {
        name: "山田 花子".into(),
        address: "東京都千代田区霞が関2-1-2".into(),
        date_of_birth: CivilDate::new(1990, 2, 28).unwrap(),
        sex: Sex::Female,
    }
}

fn pki() -> TestPki {
    TestPki::from_seed(provider(), SEED, NOW).unwrap()
}

fn card_validity() -> (u64, u64) {
    (NOW - DAY, NOW + 5 * 365 * DAY)
}

fn every_der(pki: &TestPki) -> Vec<Vec<u8>> {
    let card = pki.card(provider(), "h1", &holder(), card_validity()).unwrap();
    let se_key = pki.key(provider(), "device/1/auth").unwrap();
    let facts = KeyAttestation { in_secure_element: true, user_verification_required: true, challenge: vec![9; 32] };
    vec![
        pki.card_root.cert.clone(),
        pki.mobile_root.cert.clone(),
        pki.platform_root.cert.clone(),
        pki.status_signer.cert.clone(),
        card.sign.cert,
        card.auth.cert,
        pki.attestation(provider(), "d1", &se_key.public, &facts, card_validity()).unwrap(),
        pki.verifier(provider(), "rp.example.jp", true).unwrap().cert,
    ]
}

#[test]
fn same_seed_and_clock_give_identical_bytes() {
    // PKI-011, CRY-002
    assert_eq!(every_der(&pki()), every_der(&pki()));
}

#[test]
fn another_seed_or_clock_gives_other_bytes() {
    // PKI-011
    let base = every_der(&pki());
    let other_seed = every_der(&TestPki::from_seed(provider(), [43; 32], NOW).unwrap());
    let other_clock = every_der(&TestPki::from_seed(provider(), SEED, NOW + 1).unwrap());
    for (i, der) in base.iter().enumerate() {
        assert_ne!(*der, other_seed[i], "certificate {i} ignores the seed");
    }
    assert_ne!(base[0], other_clock[0], "the root ignores the clock");
}

#[test]
fn every_fixture_validates_for_its_purpose() {
    // PKI-002 … PKI-007 on the good path
    let pki = pki();
    let card = pki.card(provider(), "h1", &holder(), card_validity()).unwrap();
    let card_anchor = pki.card_root.anchor(provider()).unwrap();
    let mobile_anchor = pki.mobile_root.anchor(provider()).unwrap();
    validate_chain(provider(), &[card.sign.cert.clone()], &card_anchor, Purpose::CardSign, NOW).unwrap();
    validate_chain(provider(), &[card.auth.cert.clone()], &card_anchor, Purpose::CardAuth, NOW).unwrap();
    // the anchor may travel at the end of the chain
    let with_root = [card.auth.cert.clone(), pki.card_root.cert.clone()];
    validate_chain(provider(), &with_root, &card_anchor, Purpose::CardAuth, NOW).unwrap();
    let status =
        validate_chain(provider(), &[pki.status_signer.cert.clone()], &mobile_anchor, Purpose::StatusSigning, NOW)
            .unwrap();
    assert_eq!(status.public_key, pki.status_signer.key.public);
    let verifier = pki.verifier(provider(), "rp.example.jp", false).unwrap();
    let leaf = validate_chain(provider(), &[verifier.cert], &mobile_anchor, Purpose::Verifier, NOW).unwrap();
    assert_eq!(leaf.verifier_may_check_sign, Some(false));
    assert_eq!(leaf.subject_attribute(oids::CN), Some("rp.example.jp"));
}

#[test]
fn card_sign_carries_the_four_attributes_and_auth_none() {
    // PKI-009
    let pki = pki();
    let card = pki.card(provider(), "h1", &holder(), card_validity()).unwrap();
    let sign = ParsedCert::parse(provider(), &card.sign.cert).unwrap();
    assert_eq!(sign.holder_attributes(), Some(holder()));
    let auth = ParsedCert::parse(provider(), &card.auth.cert).unwrap();
    assert_eq!(auth.holder_attributes(), None);
    for oid in [oids::ATTR_ADDRESS, oids::ATTR_DATE_OF_BIRTH, oids::ATTR_SEX] {
        assert_eq!(auth.subject_attribute(oid), None);
    }
}

#[test]
fn attestation_extension_round_trips() {
    // PKI-008: the critical attestation extension is known, so it is accepted
    let pki = pki();
    let se_key = pki.key(provider(), "device/1/sign").unwrap();
    let facts = KeyAttestation { in_secure_element: true, user_verification_required: true, challenge: vec![1; 32] };
    let cert = pki.attestation(provider(), "d1", &se_key.public, &facts, card_validity()).unwrap();
    let anchor = pki.platform_root.anchor(provider()).unwrap();
    let leaf = validate_chain(provider(), &[cert], &anchor, Purpose::KeyAttestation, NOW).unwrap();
    assert_eq!(leaf.key_attestation, Some(facts));
    assert_eq!(leaf.public_key, se_key.public);
}

#[test]
fn refuses_expired_and_not_yet_valid() {
    // PKI-003, PKI-004
    let pki = pki();
    let card = pki.card(provider(), "h1", &holder(), (NOW, NOW + 100)).unwrap();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    let check = |at| validate_chain(provider(), &[card.auth.cert.clone()], &anchor, Purpose::CardAuth, at);
    assert!(check(NOW + 100).is_ok());
    assert_eq!(check(NOW + 101).unwrap_err().code, Code::CertExpired);
    assert_eq!(check(NOW - 1).unwrap_err().code, Code::CertNotYetValid);
    // the anchor's own window counts too
    assert_eq!(
        validate_chain(
            provider(),
            &[pki.status_signer.cert.clone()],
            &pki.mobile_root.anchor(provider()).unwrap(),
            Purpose::StatusSigning,
            NOW + 31 * 365 * DAY
        )
        .unwrap_err()
        .code,
        Code::CertExpired
    );
}

#[test]
fn refuses_wrong_purpose() {
    // PKI-005: a card sign certificate offered as a mobile sign certificate
    let pki = pki();
    let card = pki.card(provider(), "h1", &holder(), card_validity()).unwrap();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    for purpose in [Purpose::MobileSign, Purpose::CardAuth, Purpose::Verifier] {
        let err = validate_chain(provider(), &[card.sign.cert.clone()], &anchor, purpose, NOW).unwrap_err();
        assert_eq!(err.code, Code::WrongPurpose, "{purpose:?}");
    }
}

fn template(
    pki: &TestPki,
    label: &str,
    role: CertRole,
    extra: Vec<(const_oid::ObjectIdentifier, bool, Vec<u8>)>,
) -> CertTemplate {
    CertTemplate {
        serial: pki.serial(label),
        subject: vec![NameAttribute::common_name(label)],
        not_before: NOW - DAY,
        not_after: NOW + DAY,
        public_key: pki.key(provider(), label).unwrap().public,
        role,
        extra_extensions: extra,
    }
}

#[test]
fn refuses_intermediate_without_ca_flag() {
    // PKI-006: an intermediate that may sign certificates but is not a CA
    let pki = pki();
    let role = CertRole::Custom { ca: false, key_cert_sign: true, digital_signature: false, purposes: vec![] };
    let intermediate_template = template(&pki, "intermediate", role, vec![]);
    let intermediate = issue_certificate(provider(), &intermediate_template, pki.card_root.as_issuer()).unwrap();
    let intermediate_key = pki.key(provider(), "intermediate").unwrap();
    let issuer = IssuerRef { subject: &intermediate_template.subject, key: &intermediate_key };
    let leaf =
        issue_certificate(provider(), &template(&pki, "leaf", CertRole::Leaf(Purpose::CardAuth), vec![]), issuer)
            .unwrap();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    let err = validate_chain(provider(), &[leaf.clone(), intermediate], &anchor, Purpose::CardAuth, NOW).unwrap_err();
    assert_eq!(err.code, Code::NotACa);
    // the same chain through a proper CA intermediate is accepted
    let good_intermediate = issue_certificate(
        provider(),
        &template(&pki, "intermediate", CertRole::Authority, vec![]),
        pki.card_root.as_issuer(),
    )
    .unwrap();
    validate_chain(provider(), &[leaf, good_intermediate], &anchor, Purpose::CardAuth, NOW).unwrap();
}

#[test]
fn refuses_leaf_that_can_sign_certificates() {
    // PKI-007: keyCertSign on a leaf, a CA leaf, a leaf without digitalSignature
    let pki = pki();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    let purposes = vec![Purpose::CardAuth];
    for (ca, key_cert_sign, digital_signature) in [(false, true, true), (true, false, true), (false, false, false)] {
        let role = CertRole::Custom { ca, key_cert_sign, digital_signature, purposes: purposes.clone() };
        let leaf =
            issue_certificate(provider(), &template(&pki, "leaf", role, vec![]), pki.card_root.as_issuer()).unwrap();
        let err = validate_chain(provider(), &[leaf], &anchor, Purpose::CardAuth, NOW).unwrap_err();
        assert_eq!(err.code, Code::BadKeyUsage, "{ca} {key_cert_sign} {digital_signature}");
    }
}

#[test]
fn refuses_unknown_critical_extension() {
    // PKI-008: critical and unknown is refused; the same extension non-critical is ignored
    let pki = pki();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    let unknown = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.77.9.9");
    let null = vec![0x05, 0x00];
    let role = CertRole::Leaf(Purpose::CardAuth);
    let critical = template(&pki, "leaf", role.clone(), vec![(unknown, true, null.clone())]);
    let leaf = issue_certificate(provider(), &critical, pki.card_root.as_issuer()).unwrap();
    let err = validate_chain(provider(), &[leaf], &anchor, Purpose::CardAuth, NOW).unwrap_err();
    assert_eq!(err.code, Code::UnknownCriticalExtension);
    let lenient = template(&pki, "leaf", role, vec![(unknown, false, null)]);
    let leaf = issue_certificate(provider(), &lenient, pki.card_root.as_issuer()).unwrap();
    validate_chain(provider(), &[leaf], &anchor, Purpose::CardAuth, NOW).unwrap();
}

#[test]
fn refuses_signature_by_the_wrong_key() {
    // PKI-002: right issuer name, wrong key; and a chain to another root
    let pki = pki();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    let impostor = pki.key(provider(), "impostor").unwrap();
    let issuer = IssuerRef { subject: &pki.card_root.subject, key: &impostor };
    let leaf =
        issue_certificate(provider(), &template(&pki, "leaf", CertRole::Leaf(Purpose::CardAuth), vec![]), issuer)
            .unwrap();
    let err = validate_chain(provider(), &[leaf], &anchor, Purpose::CardAuth, NOW).unwrap_err();
    assert_eq!(err.code, Code::UntrustedChain);
    let verifier = pki.verifier(provider(), "rp", true).unwrap();
    let err = validate_chain(provider(), &[verifier.cert], &anchor, Purpose::Verifier, NOW).unwrap_err();
    assert_eq!(err.code, Code::UntrustedChain);
    assert_eq!(
        validate_chain(provider(), &[], &anchor, Purpose::CardAuth, NOW).unwrap_err().code,
        Code::UntrustedChain
    );
}

#[test]
fn refuses_malformed_certificates() {
    // PKI-001: not DER, trailing bytes, truncated
    let pki = pki();
    let anchor = pki.card_root.anchor(provider()).unwrap();
    let good = pki.card(provider(), "h1", &holder(), card_validity()).unwrap().auth.cert;
    let mut trailing = good.clone();
    trailing.push(0);
    for bad in [vec![0x30, 0x00], vec![1, 2, 3], trailing, good[..good.len() - 1].to_vec()] {
        let err = validate_chain(provider(), &[bad], &anchor, Purpose::CardAuth, NOW).unwrap_err();
        assert_eq!(err.code, Code::CertMalformed);
    }
}

/// 23:59:59 JST on `date`, as seconds since the epoch.
fn end_of_day_jst(year: u16, month: u8, day: u8) -> u64 {
    CivilDate::new(year, month, day).unwrap().days_since_epoch() as u64 * DAY + DAY - 1 - 9 * 3600
}

fn at_jst(year: u16, month: u8, day: u8, hour: u64) -> u64 {
    CivilDate::new(year, month, day).unwrap().days_since_epoch() as u64 * DAY + hour * 3600 - 9 * 3600
}

#[test]
fn mobile_validity_ends_on_fifth_birthday_after_issue() {
    // PKI-010
    let far = u64::MAX;
    let dob = CivilDate::new(1990, 7, 15).unwrap();
    // issued before this year's birthday: that birthday is the first
    assert_eq!(mobile_not_after(dob, at_jst(2025, 6, 1, 10), far), end_of_day_jst(2029, 7, 15));
    // issued on the birthday itself: the first is next year's
    assert_eq!(mobile_not_after(dob, at_jst(2025, 7, 15, 10), far), end_of_day_jst(2030, 7, 15));
    // JST decides the date: 2025-07-14T20:00Z is already the 15th in Japan
    assert_eq!(mobile_not_after(dob, at_jst(2025, 7, 15, 5), far), end_of_day_jst(2030, 7, 15));
    // a 29 February birthday falls on 28 February in common years
    let leap = CivilDate::new(2000, 2, 29).unwrap();
    assert_eq!(mobile_not_after(leap, at_jst(2025, 6, 1, 10), far), end_of_day_jst(2030, 2, 28));
    assert_eq!(mobile_not_after(leap, at_jst(2023, 6, 1, 10), far), end_of_day_jst(2028, 2, 29));
    // never past the card certificate
    let card_end = end_of_day_jst(2027, 1, 1);
    assert_eq!(mobile_not_after(dob, at_jst(2025, 6, 1, 10), card_end), card_end);
}
