//! The invariant checker can fail: for each invariant, a state broken by hand
//! is reported under that invariant's number, and the unbroken state is clean.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_reference::invariants::{check, check_step};
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::status::{CertStatus, RevocationReason};
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::time::CivilDate;
use jpki_reference::world::{IssueParams, SHOP_RP, World, WorldObservation};

fn used_world() -> WorldObservation {
    let mut world = World::new([31; 32]).unwrap();
    world.add_holder("saburo", used_world_attributes()).unwrap();
    world.add_device("phone");
    world.issue("saburo", "phone", &IssueParams::both(1)).unwrap();
    world.authenticate("phone", SHOP_RP).unwrap();
    assert!(world.violations().is_empty());
    world.observe()
}

fn auth_serial(snapshot: &WorldObservation) -> Vec<u8> {
    snapshot.issuer.certs.iter().find(|(_, c)| c.kind == Kind::Auth).map(|(s, _)| s.clone()).unwrap()
}

fn reported(snapshot: &WorldObservation, invariant: u8) -> bool {
    check(snapshot).iter().any(|v| v.invariant == invariant)
}

#[test]
fn a_correct_world_has_no_violation() {
    assert_eq!(check(&used_world()), vec![]);
}

#[test]
fn two_devices_with_live_certs_of_one_kind() {
    // INV-001
    let mut s = used_world();
    let serial = auth_serial(&s);
    let mut twin = s.issuer.certs[&serial].clone();
    twin.device = [0xee; 32];
    s.issuer.certs.insert(vec![0x42; 16], twin);
    assert!(reported(&s, 1));
}

#[test]
fn status_disagreeing_with_the_registry() {
    // INV-002
    let mut s = used_world();
    let serial = auth_serial(&s);
    s.status.entries.insert(serial, (Kind::Auth, CertStatus::Good));
    let sign = s.issuer.certs.iter().find(|(_, c)| c.kind == Kind::Sign).map(|(s, _)| s.clone()).unwrap();
    s.issuer.certs.get_mut(&sign).unwrap().status =
        CertStatus::Revoked { reason: RevocationReason::HolderRequest, at: 1 };
    assert!(reported(&s, 2));
}

#[test]
fn an_accepted_use_without_its_notification() {
    // INV-003
    let mut s = used_world();
    s.status.usage_log.clear();
    assert!(reported(&s, 3));
}

#[test]
fn a_certificate_no_flow_issued() {
    // INV-004
    let mut s = used_world();
    let serial = auth_serial(&s);
    s.issuer.outbox.clear();
    assert!(reported(&s, 4), "{:?}", check(&s));
    let _ = serial;
}

#[test]
fn a_nonce_answered_twice() {
    // INV-005
    let mut s = used_world();
    let entry = s.status.usage_log[0].clone();
    s.status.usage_log.push(entry);
    assert!(reported(&s, 5));
}

#[test]
fn a_counter_the_device_never_made() {
    // INV-006
    let mut s = used_world();
    let serial = auth_serial(&s);
    s.verifiers.get_mut(SHOP_RP).unwrap().counters.insert(serial, 99);
    assert!(reported(&s, 6));
}

#[test]
fn a_live_certificate_after_card_revocation() {
    // INV-007
    let mut s = used_world();
    for card in s.issuer.cards.values_mut() {
        card.sign_revoked = true;
    }
    assert!(reported(&s, 7));
}

#[test]
fn a_superseded_certificate_without_successor() {
    // INV-008
    let mut s = used_world();
    let serial = auth_serial(&s);
    let revoked = CertStatus::Revoked { reason: RevocationReason::Superseded, at: 12_345 };
    s.issuer.certs.get_mut(&serial).unwrap().status = revoked;
    s.status.entries.insert(serial, (Kind::Auth, revoked));
    assert!(reported(&s, 8));
}

#[test]
fn a_certificate_outliving_its_card() {
    // INV-009
    let mut s = used_world();
    for card in s.issuer.cards.values_mut() {
        card.not_after = 1;
    }
    assert!(reported(&s, 9));
}

#[test]
fn a_revocation_undone_or_moved() {
    // INV-010
    let before = {
        let mut s = used_world();
        let serial = auth_serial(&s);
        s.issuer.certs.get_mut(&serial).unwrap().status =
            CertStatus::Revoked { reason: RevocationReason::HolderRequest, at: 100 };
        s
    };
    let mut undone = before.clone();
    let serial = auth_serial(&undone);
    undone.issuer.certs.get_mut(&serial).unwrap().status = CertStatus::Good;
    assert!(check_step(&before, &undone).iter().any(|v| v.invariant == 10));
    let mut moved = before.clone();
    moved.issuer.certs.get_mut(&serial).unwrap().status =
        CertStatus::Revoked { reason: RevocationReason::DeviceLost, at: 100 };
    assert!(check_step(&before, &moved).iter().any(|v| v.invariant == 10));
    assert!(check_step(&before, &before).is_empty());
}

#[test]
fn a_refusal_that_changed_something() {
    // INV-011: only a wrong PIN may move, and by exactly one
    use jpki_reference::Code;
    use jpki_reference::invariants::check_refusal;
    let before = used_world();
    assert!(check_refusal(&before, &before, Code::NonceReused).is_empty());
    let mut moved = before.clone();
    moved.verifiers.get_mut(SHOP_RP).unwrap().counters.clear();
    assert!(check_refusal(&before, &moved, Code::NonceReused).iter().any(|v| v.invariant == 11));
    let mut one_more = before.clone();
    one_more.cards.get_mut("saburo").unwrap().auth_failures += 1;
    assert!(check_refusal(&before, &one_more, Code::PinWrong).is_empty());
    assert!(check_refusal(&before, &one_more, Code::BadSignature).iter().any(|v| v.invariant == 11));
    let mut two_more = before.clone();
    two_more.cards.get_mut("saburo").unwrap().auth_failures += 2;
    assert!(check_refusal(&before, &two_more, Code::PinWrong).iter().any(|v| v.invariant == 11));
}

#[test]
fn a_retry_with_a_second_effect() {
    // INV-012
    use jpki_reference::invariants::check_retry;
    let first = used_world();
    assert!(check_retry(&first, &first, b"answer", b"answer").is_empty());
    assert!(check_retry(&first, &first, b"answer", b"other").iter().any(|v| v.invariant == 12));
    let mut twice = first.clone();
    twice.issuer.outbox.push(twice.issuer.outbox[0].clone());
    assert!(check_retry(&first, &twice, b"answer", b"answer").iter().any(|v| v.invariant == 12));
}

/// A holder whose phone moved its credentials to a second phone (path A),
/// then put them on hold and asked for a receipt.
fn moved_and_held() -> WorldObservation {
    use jpki_reference::msgs::lifecycle::HolderAction;
    use jpki_reference::world::LifecycleParams;
    let mut world = World::new([32; 32]).unwrap();
    world.add_holder("saburo", used_world_attributes()).unwrap();
    world.add_device("phone");
    world.add_device("new phone");
    world.issue("saburo", "phone", &IssueParams::both(1)).unwrap();
    world.migrate_with_old_device("phone", "new phone", &LifecycleParams::with_key(2)).unwrap();
    world.holder_action("saburo", HolderAction::Suspend, &LifecycleParams::with_key(3)).unwrap();
    assert!(world.violations().is_empty(), "{:?}", world.violations());
    world.observe()
}

fn used_world_attributes() -> HolderAttributes {
    HolderAttributes {
        name: "高橋 三郎".into(),
        address: "札幌市中央区北1条西2丁目".into(),
        date_of_birth: CivilDate::new(2001, 1, 1).unwrap(),
        sex: Sex::Male,
    }
}

/// The live (moved) certificate of `kind`.
fn moved(snapshot: &WorldObservation, kind: Kind) -> Vec<u8> {
    let live = |c: &&jpki_reference::issuer::MobileCertRecord| !matches!(c.status, CertStatus::Revoked { .. });
    let found = snapshot.issuer.certs.iter().find(|(_, c)| c.kind == kind && live(c));
    found.map(|(s, _)| s.clone()).unwrap()
}

#[test]
fn a_sign_certificate_without_a_lawful_origin() {
    // INV-013: sign only from the card's sign password, or moved from a
    // live sign of the same holder, to another device, on biometrics
    use jpki_reference::issuer::Origin;
    use jpki_reference::msgs::UvMethod;
    let clean = moved_and_held();
    assert_eq!(check(&clean), vec![]);
    let sign = moved(&clean, Kind::Sign);
    let auth = moved(&clean, Kind::Auth);
    let Origin::Moved { replaced, .. } = clean.issuer.certs[&sign].origin.clone() else { panic!("path A") };
    // moved on the passcode
    let mut s = clean.clone();
    s.issuer.certs.get_mut(&sign).unwrap().origin =
        Origin::Moved { replaced: replaced.clone(), uv: UvMethod::Passcode };
    assert!(reported(&s, 13), "{:?}", check(&s));
    // moved from the auth certificate alone (minted, not moved)
    let old_auth: Vec<Vec<u8>> =
        replaced.iter().filter(|r| clean.issuer.certs[*r].kind == Kind::Auth).cloned().collect();
    let mut s = clean.clone();
    s.issuer.certs.get_mut(&sign).unwrap().origin = Origin::Moved { replaced: old_auth, uv: UvMethod::Biometric };
    assert!(reported(&s, 13), "{:?}", check(&s));
    // moved onto the device it was on
    let mut s = clean.clone();
    let old_device = s.issuer.certs[&replaced[0]].device;
    for serial in [&sign, &auth] {
        s.issuer.certs.get_mut(serial).unwrap().device = old_device;
    }
    assert!(reported(&s, 13), "{:?}", check(&s));
    // an auth move on the passcode is lawful
    let mut s = clean;
    s.issuer.certs.get_mut(&auth).unwrap().origin = Origin::Moved { replaced, uv: UvMethod::Passcode };
    assert!(!reported(&s, 13), "{:?}", check(&s));
}

#[test]
fn a_notification_without_its_event() {
    // INV-014: the records show what each notification reports
    use jpki_reference::notify::{Event, Notification};
    let clean = moved_and_held();
    let auth = moved(&clean, Kind::Auth);
    // "revoked" for a certificate that is on hold, not revoked
    let mut s = clean.clone();
    let time = s.issuer.outbox[0].time;
    s.issuer.outbox.push(Notification { event: Event::Revoked, certs: vec![auth], rp_id: None, time, key: vec![9] });
    assert!(reported(&s, 14), "{:?}", check(&s));
    // "issued" at a time nothing was issued
    let mut s = clean.clone();
    s.issuer.outbox[0].time += 1;
    assert!(reported(&s, 14), "{:?}", check(&s));
    // "used" with no answer Status logged
    let mut s = used_world();
    s.status.outbox[0].rp_id = Some("somebody else".into());
    assert!(reported(&s, 14), "{:?}", check(&s));
}

#[test]
fn a_receipt_contradicting_the_registry() {
    // INV-015: what a stored receipt states, the registry does not deny
    let clean = moved_and_held();
    let auth = moved(&clean, Kind::Auth);
    // the registry says the held certificate was revoked before the receipt
    let mut s = clean.clone();
    let revoked = CertStatus::Revoked { reason: RevocationReason::HolderRequest, at: 1 };
    s.issuer.certs.get_mut(&auth).unwrap().status = revoked;
    s.status.entries.insert(auth.clone(), (Kind::Auth, revoked));
    assert!(reported(&s, 15), "{:?}", check(&s));
    // revoked after the receipt: no contradiction
    let mut s = clean;
    let later = CertStatus::Revoked { reason: RevocationReason::HolderRequest, at: u64::MAX };
    s.issuer.certs.get_mut(&auth).unwrap().status = later;
    assert!(!reported(&s, 15), "{:?}", check(&s));
}
