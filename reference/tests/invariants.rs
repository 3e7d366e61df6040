//! The invariant checker can fail: for each invariant, a state broken by hand
//! is reported under that invariant's number, and the unbroken state is clean.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_reference::invariants::{check, check_step};
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::status::{CertStatus, RevocationReason};
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::time::CivilDate;
use jpki_reference::world::{IssueParams, SHOP_RP, Snapshot, World};

fn used_world() -> Snapshot {
    let mut world = World::new([31; 32]).unwrap();
    let attributes = HolderAttributes {
        name: "高橋 三郎".into(),
        address: "札幌市中央区北1条西2丁目".into(),
        date_of_birth: CivilDate::new(2001, 1, 1).unwrap(),
        sex: Sex::Male,
    };
    world.add_holder("saburo", attributes).unwrap();
    world.add_device("phone");
    world.issue("saburo", "phone", &IssueParams::both(1)).unwrap();
    world.authenticate("phone", SHOP_RP).unwrap();
    assert!(world.violations().is_empty());
    world.snapshot()
}

fn auth_serial(snapshot: &Snapshot) -> Vec<u8> {
    snapshot.issuer.certs.iter().find(|(_, c)| c.kind == Kind::Auth).map(|(s, _)| s.clone()).unwrap()
}

fn reported(snapshot: &Snapshot, invariant: u8) -> bool {
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
