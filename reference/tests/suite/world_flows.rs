//! Issuance and both uses end to end through the world harness, as bytes.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_reference::msgs::Message;
use jpki_reference::msgs::issuance::IssuanceResponse;
use jpki_reference::msgs::{Kind, UvMethod};
use jpki_reference::notify::Event;
use jpki_reference::pki::{HolderAttributes, ParsedCert, Purpose, Sex, oids, validate_chain};
use jpki_reference::time::{CivilDate, DAY};
use jpki_reference::world::{GOV_RP, IssueParams, SHOP_RP, WORLD_START, World};

fn hanako() -> HolderAttributes {
    HolderAttributes {
        name: "山田 花子".into(),
        address: "東京都千代田区霞が関2-1-2".into(),
        date_of_birth: CivilDate::new(1992, 2, 29).unwrap(),
        sex: Sex::Female,
    }
}

fn world() -> World {
    let mut world = World::new([3; 32]).unwrap();
    world.add_holder("hanako", hanako()).unwrap();
    world.add_device("phone-1");
    world
}

fn end_of_day_jst(year: u16, month: u8, day: u8) -> u64 {
    CivilDate::new(year, month, day).unwrap().days_since_epoch() as u64 * DAY + DAY - 1 - 9 * 3600
}

#[test]
fn issuance_of_both_kinds_gives_profiled_certificates() {
    // ISS-001, ISS-007, PKI-009, PKI-010
    let mut world = world();
    let response = world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap();
    let response = IssuanceResponse::from_bytes(&response).unwrap();
    assert_eq!(response.certs.iter().map(|c| c.kind).collect::<Vec<_>>(), vec![Kind::Sign, Kind::Auth]);
    let provider = world.provider();
    let anchor = world.pki().mobile_root.anchor(provider).unwrap();
    let sign =
        validate_chain(provider, &[response.certs[0].cert.clone()], &anchor, Purpose::MobileSign, WORLD_START).unwrap();
    let auth =
        validate_chain(provider, &[response.certs[1].cert.clone()], &anchor, Purpose::MobileAuth, WORLD_START).unwrap();
    // the sign cert copies the four attributes; auth carries none
    assert_eq!(sign.holder_attributes(), Some(hanako()));
    assert_eq!(auth.holder_attributes(), None);
    assert_eq!(auth.subject_attribute(oids::ATTR_ADDRESS), None);
    assert!(sign.ekus.contains(&oids::EKU_MOBILE_SIGN) && !sign.ekus.contains(&oids::EKU_MOBILE_AUTH));
    // issued 2025-06-01; born 29 Feb: first birthday after is 2026-02-28, the fifth 2030-02-28
    assert_eq!(sign.not_after, end_of_day_jst(2030, 2, 28));
    assert_eq!(auth.not_after, sign.not_after);
    // the device holds both, with the keys the SE made
    let device = world.device("phone-1").unwrap();
    for (kind, leaf) in [(Kind::Sign, &sign), (Kind::Auth, &auth)] {
        assert_eq!(device.installed[&kind].public, leaf.public_key.to_sec1_uncompressed().to_vec());
    }
    let issued: Vec<_> = world.notifications().into_iter().filter(|n| n.event == Event::Issued).collect();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].certs, vec![sign.serial, auth.serial]);
}

#[test]
fn card_expiring_first_caps_the_mobile_certificate() {
    // PKI-010: never past the card certificate
    let mut world = World::new([4; 32]).unwrap();
    let card_end = WORLD_START + 400 * DAY;
    world.add_holder_with_card_validity("taro", hanako(), (WORLD_START - DAY, card_end)).unwrap();
    world.add_device("phone");
    let response = world.issue("taro", "phone", &IssueParams::both(1)).unwrap();
    for issued in IssuanceResponse::from_bytes(&response).unwrap().certs {
        assert_eq!(ParsedCert::parse(world.provider(), &issued.cert).unwrap().not_after, card_end);
    }
}

#[test]
fn authentication_and_signing_are_accepted_once_each() {
    // USE-009, USE-013, STA-003, STA-004
    let mut world = world();
    world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap();
    let first = world.authenticate("phone-1", SHOP_RP).unwrap();
    let second = world.authenticate("phone-1", GOV_RP).unwrap();
    assert_eq!((first.counter, second.counter), (1, 2));
    let signed = world.sign("phone-1", GOV_RP, b"e-Tax return 2025").unwrap();
    assert_eq!(signed.counter, 1);
    let used: Vec<_> = world.notifications().into_iter().filter(|n| n.event == Event::Used).collect();
    assert_eq!(used.len(), 3);
    assert_eq!(used[0].rp_id.as_deref(), Some(SHOP_RP));
    assert_eq!(used[2].certs, vec![signed.serial.clone()]);
    let snapshot = world.observe();
    assert_eq!(snapshot.verifiers[GOV_RP].counters[&signed.serial], 1);
    assert!(snapshot.verifiers[GOV_RP].nonces.values().all(|n| n.consumed));
}

#[test]
fn passcode_is_enough_for_auth() {
    // USE-005 (only sign needs biometrics)
    let mut world = world();
    world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap();
    let request = world.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
    let uv = jpki_reference::device::UserVerification { verified: true, method: UvMethod::Passcode };
    let assertion = world.assertion("phone-1", &request, uv).unwrap();
    world.verify(SHOP_RP, &assertion).unwrap();
}

#[test]
fn same_seed_same_world() {
    // PKI-011: a world reproduces from its seed
    let run = || {
        let mut world = world();
        world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap();
        world.authenticate("phone-1", SHOP_RP).unwrap();
        world.observe()
    };
    assert_eq!(run(), run());
}

#[test]
fn accepted_issuance_commits_everything_in_one_step() {
    // ISS-009: certs recorded, session completed, answer stored, one notification, Status fed
    let mut world = world();
    let before = world.observe();
    let response =
        IssuanceResponse::from_bytes(&world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap()).unwrap();
    let after = world.observe();
    assert_eq!(after.issuer.certs.len(), 2);
    assert!(after.issuer.sessions.values().all(|s| s.completed));
    assert_eq!(after.issuer.idempotency.len(), 1);
    assert_eq!(after.issuer.outbox.len(), before.issuer.outbox.len() + 1);
    for issued in &response.certs {
        let serial = ParsedCert::parse(world.provider(), &issued.cert).unwrap().serial;
        assert_eq!(after.status.entries[&serial], (issued.kind, jpki_reference::msgs::status::CertStatus::Good));
        assert_eq!(after.issuer.certs[&serial].kind, issued.kind);
    }
}

#[test]
fn an_idempotent_retry_gets_the_stored_answer_and_changes_nothing() {
    // ISS-006, INV-012: the answer was lost; the device sends the same request again
    let mut world = world();
    let challenge = world.issuance_challenge().unwrap();
    let request = world.issuance_request("hanako", "phone-1", &challenge, &IssueParams::both(1)).unwrap();
    let first = world.submit_issuance("phone-1", &request).unwrap();
    let before = world.observe();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let tap = seen.clone();
    world.set_tamper(move |hop, bytes| {
        if hop == jpki_reference::world::Hop::IssuanceResponse {
            *tap.borrow_mut() = bytes.clone();
        }
    });
    // the device installed the first answer already, so it refuses this one
    // (no pending keys); what matters is what the Issuer answered
    let again = world.submit_issuance("phone-1", &request);
    assert_eq!(again.unwrap_err().code(), jpki_reference::Code::Malformed);
    assert_eq!(*seen.borrow(), first, "the retry got another answer");
    assert_eq!(world.observe(), before, "the retry changed something");
}

#[test]
fn a_right_pin_resets_the_failure_count() {
    // PIN-001, PIN-003
    let mut world = world();
    let wrong = IssueParams { auth_pin: "0000".into(), ..IssueParams::both(1) };
    assert_eq!(world.issue("hanako", "phone-1", &wrong).unwrap_err().code(), jpki_reference::Code::PinWrong);
    assert_eq!(world.observe().cards["hanako"].auth_failures, 1);
    world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap();
    assert_eq!(world.observe().cards["hanako"].auth_failures, 0);
}

#[test]
fn notification_keys_are_the_bytes_the_spec_gives() {
    // NTF-001: step name, a colon, the subject's parts as raw bytes
    use jpki_reference::msgs::lifecycle::HolderAction;
    use jpki_reference::world::LifecycleParams;
    let mut world = world();
    world.issue("hanako", "phone-1", &IssueParams::both(1)).unwrap();
    let nonce = *world.observe().issuer.sessions.keys().next().unwrap();
    world.authenticate("phone-1", SHOP_RP).unwrap();
    world.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(7)).unwrap();
    let snapshot = world.observe();
    let holder = snapshot.issuer.cards.keys().next().unwrap().clone();
    let keys: Vec<Vec<u8>> = snapshot.issuer.outbox.iter().map(|n| n.key.clone()).collect();
    assert_eq!(keys[0], [b"issuance:".as_slice(), &nonce].concat());
    assert_eq!(keys[1], [b"holder-action:".as_slice(), &holder, &[7; 16]].concat());
    let used = &snapshot.status.usage_log[0];
    let expected = [b"used:".as_slice(), SHOP_RP.as_bytes(), &[0], &used.nonce, &used.serial].concat();
    assert_eq!(snapshot.status.outbox[0].key, expected);
}
