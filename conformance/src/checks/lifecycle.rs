//! Lifecycle scenarios as checks: migration (both paths), remote deletion
//! with the phone offline, trade-in receipts, card-linked revocation,
//! suspension, expiry, idempotent revocation, concurrent migrations, use
//! after every kind of revocation, and one notification per accepted use.
//! The world checks the invariants after every step; each scenario ends
//! with none violated.

use jpki_reference::Code;
use jpki_reference::device::UserVerification;
use jpki_reference::issuer::{CardEvent, WipeState};
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::{CertStatus, RevocationReason};
use jpki_reference::msgs::{Kind, Message, UvMethod};
use jpki_reference::notify::Event;
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::receipt::verify_receipt;
use jpki_reference::time::{CivilDate, DAY};
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, MigrationPlan, SHOP_RP, WORLD_START, World};

use super::{context, surgery, truthful};

pub(super) fn attributes() -> HolderAttributes {
    HolderAttributes {
        name: "鈴木 花子".into(),
        address: "福岡県福岡市中央区1-2-3".into(),
        date_of_birth: CivilDate::new(1975, 12, 31).unwrap(),
        sex: Sex::Female,
    }
}

/// A holder whose phone "old" holds both kinds, and a new phone "new".
pub(super) fn world() -> World {
    let mut world = super::served::world(0);
    world.add_holder("hanako", attributes()).unwrap();
    world.add_device("old");
    world.add_device("new");
    world.issue("hanako", "old", &IssueParams::both(1)).unwrap();
    world
}

fn status_of(world: &World, serial: &[u8]) -> CertStatus {
    world.observe().issuer.certs[serial].status
}

fn events(world: &World, event: Event) -> usize {
    world.notifications().iter().filter(|n| n.event == event).count()
}

pub(super) fn assert_no_violations(world: &World) {
    context::no_violations(world);
}

/// An assertion from `device` for `rp`, made now and verified later.
pub(super) fn assertion_for(world: &mut World, device: &str, rp: &str, kind: Kind) -> Vec<u8> {
    let digest = (kind == Kind::Sign).then(|| world.provider().sha256(b"doc"));
    let request = world.use_request(rp, kind, "purpose", digest).unwrap();
    world.assertion(device, &request, UserVerification::BIOMETRIC).unwrap()
}

pub(crate) fn device_change_with_the_old_phone() {
    // MIG-001, MIG-003, REV-005, REV-007
    let mut w = world();
    let old = w.installed_serials("old").unwrap();
    w.advance(60);
    let t = w.now();
    context::step("MIG-003");
    w.migrate_with_old_device("old", "new", &LifecycleParams::with_key(7)).unwrap();
    let new = w.installed_serials("new").unwrap();
    assert_eq!(new.len(), 2);
    let snapshot = w.observe();
    for serial in &old {
        assert_eq!(status_of(&w, serial), CertStatus::Revoked { reason: RevocationReason::Superseded, at: t });
    }
    for serial in &new {
        assert_eq!(snapshot.issuer.certs[serial].issued_at, t, "old revoked and new issued at the same instant");
    }
    assert_eq!(events(&w, Event::Migrated), 1);
    context::step("REV-007");
    // the old phone is wiped when it syncs; the receipt acknowledges the command once
    assert_eq!(w.sync_device("old").unwrap(), 1);
    assert!(w.installed_serials("old").unwrap().is_empty());
    assert!(w.observe().issuer.wipes.values().all(|wipe| wipe.state == WipeState::Acknowledged));
    assert_eq!(w.sync_device("old").unwrap(), 0);
    assert_eq!(events(&w, Event::Wiped), 1);
    w.authenticate("new", SHOP_RP).unwrap();
    w.sign("new", GOV_RP, b"contract").unwrap();
    assert_no_violations(&w);
}

pub(crate) fn migration_needs_uv_and_a_live_old_device() {
    // MIG-001, MIG-004
    // the old phone is the suite's, so it can state "not verified" in a signed intent,
    // which no conforming wallet sends (DEV-001)
    let mut w = super::served::world(0);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_suite_device("old");
    w.add_device("new");
    w.issue("hanako", "old", &IssueParams::both(1)).unwrap();
    context::step("MIG-001");
    let intent = w.migration_intent("old", "new", &LifecycleParams::with_key(7)).unwrap();
    let secret = w.suite_secret("old", Kind::Auth).unwrap();
    let no_uv = surgery::resigned_payload(w.provider(), &intent, &secret, |p| {
        *surgery::field(p, 6) = ciborium::Value::Bool(false)
    });
    let refused = w.submit_migration("new", &no_uv).unwrap_err();
    assert_eq!(refused.code(), Code::UvMissing);
    assert!(refused.unchanged);
    w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(8)).unwrap();
    let refused = w.migrate_with_old_device("old", "new", &LifecycleParams::with_key(9)).unwrap_err();
    assert_eq!((refused.code(), refused.unchanged), (Code::CertSuspended, true));
    assert_no_violations(&w);
}

/// A holder with a phone "old" holding only `auth`, and a new phone "new".
fn auth_only_world() -> World {
    let mut world = super::served::world(0);
    world.add_holder("hanako", attributes()).unwrap();
    world.add_device("old");
    world.add_device("new");
    world.issue("hanako", "old", &IssueParams { kinds: vec![Kind::Auth], ..IssueParams::both(1) }).unwrap();
    world
}

pub(crate) fn migration_moves_only_what_the_old_device_holds() {
    // MIG-005: a phone holding only `auth` cannot mint a `sign` certificate by migrating
    let mut w = auth_only_world();
    let held = w.installed_serials("old").unwrap();
    context::step("MIG-005");
    let plan = MigrationPlan { replaces: held.clone(), kinds: Kind::ALL.to_vec() };
    let intent = w.migration_intent_with("old", "new", &plan, &LifecycleParams::with_key(7));
    context::refused(w.submit_migration("new", &intent.unwrap()), Code::MigrationKindsMismatch);
    // nor replace a certificate without moving its kind
    let plan = MigrationPlan { replaces: held, kinds: vec![Kind::Sign] };
    let intent = w.migration_intent_with("old", "new", &plan, &LifecycleParams::with_key(8));
    context::refused(w.submit_migration("new", &intent.unwrap()), Code::MigrationKindsMismatch);
    // MIG-006: a `sign` key moves only on biometric verification
    let mut w = world();
    let held = w.installed_serials("old").unwrap();
    context::step("MIG-006");
    let passcode = LifecycleParams { uv_method: UvMethod::Passcode, ..LifecycleParams::with_key(9) };
    let plan = MigrationPlan { replaces: held.clone(), kinds: Kind::ALL.to_vec() };
    let intent = w.migration_intent_with("old", "new", &plan, &passcode);
    context::refused(w.submit_migration("new", &intent.unwrap()), Code::MigrationUvInsufficient);
    // MIG-007: the new device is another device
    context::step("MIG-007");
    let intent = w.migration_intent_with("old", "old", &plan, &LifecycleParams::with_key(10));
    context::refused(w.submit_migration("old", &intent.unwrap()), Code::SameDevice);
    // MIG-005: a subset of the live kinds moves, on passcode when it is `auth` alone
    context::step("MIG-005");
    let snapshot = w.observe();
    let auth: Vec<Vec<u8>> = held.iter().filter(|s| snapshot.issuer.certs[*s].kind == Kind::Auth).cloned().collect();
    let plan = MigrationPlan { replaces: auth.clone(), kinds: vec![Kind::Auth] };
    let intent = w.migration_intent_with("old", "new", &plan, &passcode).unwrap();
    context::accepted(w.submit_migration("new", &intent), "moving `auth` alone on passcode");
    context::same(w.installed_serials("new").unwrap().len(), 1, "certificates on the new phone");
    w.authenticate("new", SHOP_RP).unwrap();
    w.sign("old", GOV_RP, b"contract").unwrap();
    assert_no_violations(&w);
}

pub(crate) fn device_change_after_loss_with_the_card() {
    // MIG-002, MIG-003: path B, the old phone offline and never asked
    let mut w = world();
    let old = w.installed_serials("old").unwrap();
    w.set_online("old", false);
    context::step("MIG-003");
    w.migrate_with_card("hanako", "new", old.clone(), 2).unwrap();
    for serial in &old {
        assert!(matches!(status_of(&w, serial), CertStatus::Revoked { reason: RevocationReason::Superseded, .. }));
    }
    // offline: the wipe waits, and the old phone's certificates are dead at Status already
    context::step("REV-005");
    assert_eq!(w.sync_device("old").unwrap(), 0);
    let stale = assertion_for(&mut w, "old", SHOP_RP, Kind::Auth);
    assert_eq!(w.verify(SHOP_RP, &stale).unwrap_err().code(), Code::CertRevoked);
    w.set_online("old", true);
    assert_eq!(w.sync_device("old").unwrap(), 1);
    assert!(w.installed_serials("old").unwrap().is_empty());
    w.authenticate("new", SHOP_RP).unwrap();
    assert_no_violations(&w);
}

pub(crate) fn lost_phone_offline_then_back_online() {
    // REV-004, REV-005, REV-007: revoked at once, wipe retried idempotently
    let mut w = world();
    let old = w.installed_serials("old").unwrap();
    w.set_online("old", false);
    let pending = assertion_for(&mut w, "old", SHOP_RP, Kind::Auth);
    context::step("REV-004");
    w.holder_action("hanako", HolderAction::ReportLost, &LifecycleParams::with_key(3)).unwrap();
    for serial in &old {
        assert!(matches!(status_of(&w, serial), CertStatus::Revoked { reason: RevocationReason::DeviceLost, .. }));
    }
    let refused = w.verify(SHOP_RP, &pending).unwrap_err();
    assert_eq!((refused.code(), refused.unchanged), (Code::CertRevoked, true));
    assert!(w.observe().issuer.wipes.values().all(|wipe| wipe.state == WipeState::Queued));
    // back online: the first receipt is lost on the way, so the command stays delivered
    context::step("REV-007");
    w.set_online("old", true);
    w.set_tamper(|hop, bytes| {
        if hop == jpki_reference::world::Hop::WipeReceipt {
            bytes.truncate(bytes.len() - 1);
        }
    });
    assert!(w.sync_device("old").is_err());
    w.clear_tamper();
    assert!(w.installed_serials("old").unwrap().is_empty(), "the device wiped itself anyway");
    assert!(w.observe().issuer.wipes.values().all(|wipe| wipe.state == WipeState::Delivered));
    // the retry sends the same command; the device answers with the same receipt
    assert_eq!(w.sync_device("old").unwrap(), 1);
    assert!(w.observe().issuer.wipes.values().all(|wipe| wipe.state == WipeState::Acknowledged));
    assert_eq!(events(&w, Event::Wiped), 1);
    assert_eq!(events(&w, Event::Revoked), 1);
    assert_no_violations(&w);
}

pub(crate) fn trade_in_receipt_verified_by_a_shop() {
    // REV-006: the shop has only the receipt's bytes and the Issuer's trust anchor
    let mut w = world();
    let old = w.installed_serials("old").unwrap();
    context::step("REV-006");
    let receipt = w.revoke_from_device("old", RevocationReason::DeviceReleased, &LifecycleParams::with_key(4)).unwrap();
    assert!(w.installed_serials("old").unwrap().is_empty(), "the device deleted itself");
    let anchor = w.pki().mobile_root.anchor(w.provider()).unwrap();
    let said = verify_receipt(w.provider(), &receipt, &anchor, w.now() + 30 * DAY).unwrap();
    assert_eq!(said.serials(), old);
    let t = w.now();
    for serial in &old {
        let released = CertStatus::Revoked { reason: RevocationReason::DeviceReleased, at: t };
        assert_eq!(said.status_of(serial), Some(released));
    }
    let mut edited = receipt.clone();
    let last = edited.len() - 1;
    edited[last] ^= 1;
    assert_eq!(verify_receipt(w.provider(), &edited, &anchor, w.now()).unwrap_err().code, Code::BadSignature);
    let other_anchor = w.pki().card_root.anchor(w.provider()).unwrap();
    assert_eq!(verify_receipt(w.provider(), &receipt, &other_anchor, w.now()).unwrap_err().code, Code::UntrustedChain);
    assert_no_violations(&w);
}

/// The holder's card failure counts (sign password, auth PIN): the suite's
/// own card, which the wallet reaches through the card interface.
fn pin_counts(world: &World) -> (u64, u64) {
    let card = &world.observe().cards["hanako"];
    (card.sign_failures, card.auth_failures)
}

pub(crate) fn pin_counts_move_one_entry_at_a_time() {
    let mut w = super::served::world(0);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("old");
    let wrong_pin = IssueParams { auth_pin: "9999".into(), ..IssueParams::both(1) };
    let wrong_password = IssueParams { sign_password: "WRONG1".into(), ..IssueParams::both(2) };
    // PIN-004: the wallet asks for each secret once, in order, and stops at the first
    // refusal; the counts are read before the refusal is judged (INV-011)
    context::step("PIN-004");
    let refusal = w.issue("hanako", "old", &wrong_pin);
    context::same(pin_counts(&w), (0, 1), "(sign, auth) failure counts after a wrong auth PIN");
    context::refused(refusal, Code::PinWrong);
    let refusal = w.issue("hanako", "old", &wrong_password);
    context::same(pin_counts(&w), (1, 1), "(sign, auth) failure counts after a wrong sign password");
    context::refused(refusal, Code::PinWrong);
    // the right password resets its count as it is entered (PIN-003), and the wrong
    // PIN then raises the other: a refusal that moved two counts, as the spec allows
    let refusal = w.issue("hanako", "old", &wrong_pin);
    context::same(pin_counts(&w), (0, 2), "(sign, auth) failure counts after the right password, a wrong PIN");
    context::step("INV-011");
    context::refused(refusal, Code::PinWrong);
    context::step("PIN-003");
    w.issue("hanako", "old", &IssueParams::both(3)).unwrap();
    context::same(pin_counts(&w), (0, 0), "(sign, auth) failure counts after an issuance");
    assert_no_violations(&w);
}

pub(crate) fn address_change_revokes_sign_and_keeps_auth() {
    // REV-008
    let mut w = world();
    context::step("REV-008");
    w.card_event("hanako", CardEvent::SignRevoked).unwrap();
    w.authenticate("old", SHOP_RP).unwrap();
    let refused = w.sign("old", GOV_RP, b"contract").unwrap_err();
    assert_eq!((refused.code(), refused.unchanged), (Code::CertRevoked, true));
    assert_no_violations(&w);
}

pub(crate) fn card_renewal_revokes_every_mobile_certificate() {
    // REV-009
    let mut w = world();
    context::step("REV-009");
    w.card_event("hanako", CardEvent::AuthRevoked).unwrap();
    for serial in w.installed_serials("old").unwrap() {
        assert!(matches!(status_of(&w, &serial), CertStatus::Revoked { reason: RevocationReason::CardRevoked, .. }));
    }
    assert_eq!(w.authenticate("old", SHOP_RP).unwrap_err().code(), Code::CertRevoked);
    assert_eq!(w.sign("old", GOV_RP, b"contract").unwrap_err().code(), Code::CertRevoked);
    // and the old card can no longer start anything
    w.add_device("third");
    assert_eq!(w.issue("hanako", "third", &IssueParams::both(5)).unwrap_err().code(), Code::CertRevoked);
    assert_no_violations(&w);
}

pub(crate) fn suspension_then_resumption() {
    // SUS-001, SUS-002: auth comes back, sign is revoked and issued again
    let mut w = world();
    context::step("SUS-001");
    w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(1)).unwrap();
    let refused = w.authenticate("old", SHOP_RP).unwrap_err();
    assert_eq!((refused.code(), refused.unchanged), (Code::CertSuspended, true));
    assert_eq!(w.sign("old", GOV_RP, b"x").unwrap_err().code(), Code::CertSuspended);
    w.advance(3600);
    let t = w.now();
    context::step("SUS-002");
    w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(2)).unwrap();
    w.authenticate("old", SHOP_RP).unwrap();
    let sign_serial =
        w.observe().issuer.certs.iter().find(|(_, c)| c.kind == Kind::Sign).map(|(s, _)| s.clone()).unwrap();
    assert_eq!(status_of(&w, &sign_serial), CertStatus::Revoked { reason: RevocationReason::ReissueAfterHold, at: t });
    assert_eq!(w.sign("old", GOV_RP, b"x").unwrap_err().code(), Code::CertRevoked);
    // a new sign certificate on the same phone
    let params = IssueParams { kinds: vec![Kind::Sign], ..IssueParams::both(3) };
    w.issue("hanako", "old", &params).unwrap();
    w.sign("old", GOV_RP, b"x").unwrap();
    assert_eq!((events(&w, Event::Suspended), events(&w, Event::Resumed)), (1, 1));
    // lifting a hold twice: nothing is on hold
    context::step("SUS-003");
    let refused = w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(4)).unwrap_err();
    assert_eq!((refused.code(), refused.unchanged), (Code::NotSuspended, true));
    assert_no_violations(&w);
}

pub(crate) fn expiry_at_the_card_cap() {
    // PKI-003, PKI-010, INV-009
    let mut w = super::served::world(1);
    let card_end = WORLD_START + 100 * DAY;
    w.add_holder_with_card_validity("hanako", attributes(), (WORLD_START - DAY, card_end)).unwrap();
    w.add_device("old");
    w.issue("hanako", "old", &IssueParams::both(1)).unwrap();
    context::step("PKI-010");
    w.advance(card_end - WORLD_START);
    w.authenticate("old", SHOP_RP).unwrap();
    w.advance(1);
    context::step("PKI-003");
    assert_eq!(w.authenticate("old", SHOP_RP).unwrap_err().code(), Code::CertExpired);
    assert_no_violations(&w);
}

/// A world whose holder's mobile certificates are issued on "old" and end at
/// the holder's fifth birthday, long before the card (valid ten years).
fn issued_before_a_long_card() -> World {
    let mut w = super::served::world(1);
    let card_end = WORLD_START + 3650 * DAY;
    w.add_holder_with_card_validity("hanako", attributes(), (WORLD_START - DAY, card_end)).unwrap();
    w.add_device("old");
    w.issue("hanako", "old", &IssueParams::both(1)).unwrap();
    let not_after = mobile_not_after(&w);
    assert!(not_after < card_end, "the mobile certificates end with the card: {not_after} vs {card_end}");
    w
}

fn mobile_not_after(w: &World) -> u64 {
    w.observe().issuer.certs.values().map(|c| c.not_after).max().unwrap()
}

pub(crate) fn a_hold_that_outlives_the_certificates() {
    // SUS-005: a certificate past its notAfter is expired, suspended or not, and stays so
    // 1. active certificates past their notAfter: nothing is live for a hold or a lost report
    let mut w = issued_before_a_long_card();
    w.advance(mobile_not_after(&w) + 1 - w.now());
    context::step("SUS-005");
    let before = w.observe();
    let hold = w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(1)).unwrap_err();
    assert_eq!((hold.code(), hold.unchanged), (Code::NothingLive, true), "a hold on expired active certificates");
    let lost = w.holder_action("hanako", HolderAction::ReportLost, &LifecycleParams::with_key(2)).unwrap_err();
    assert_eq!((lost.code(), lost.unchanged), (Code::NothingLive, true), "a lost report on expired certificates");
    assert_eq!(w.observe(), before, "a refused holder action changed the state");
    assert!(before.issuer.certs.values().all(|c| c.status == CertStatus::Good), "the records stay as they were");
    // 2. suspended certificates past their notAfter: the lift changes nothing
    let mut w = issued_before_a_long_card();
    w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(1)).unwrap();
    w.advance(mobile_not_after(&w) + 1 - w.now());
    let before = w.observe();
    let refused = w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(2)).unwrap_err();
    assert_eq!(
        (refused.code(), refused.unchanged),
        (Code::NotSuspended, true),
        "lifting a hold on expired certificates"
    );
    assert_eq!(w.observe(), before, "a refused lift changed the state");
    assert!(w.observe().issuer.certs.values().all(|c| c.status == CertStatus::Suspended));
    assert_eq!(events(&w, Event::Resumed), 0);
    // and a verifier refuses the certificate as expired, whatever it was (PKI-003)
    context::step("PKI-003");
    assert_eq!(w.authenticate("old", SHOP_RP).unwrap_err().code(), Code::CertExpired);
    assert_no_violations(&w);
}

pub(crate) fn double_revocation_gives_one_receipt_and_one_notification() {
    // REV-001, REV-002, INV-012
    let mut w = world();
    let now = w.now();
    let serials = w.installed_serials("old").unwrap();
    let payload = jpki_reference::msgs::lifecycle::DeviceRevocationPayload {
        serials,
        reason: RevocationReason::HolderRequest,
        time: now,
        idempotency_key: [6; 16],
        user_verified: true,
    };
    let request = w.lifecycle_signature("old", &payload.to_bytes().unwrap(), UserVerification::BIOMETRIC).unwrap();
    context::step("REV-001");
    let first = w.submit_device_revocation("old", &request).unwrap();
    context::step("REV-002");
    let before = w.observe();
    w.advance(600);
    let second = w.submit_device_revocation("old", &request).unwrap();
    assert_eq!(first, second);
    assert_eq!(w.observe(), before);
    assert_eq!(events(&w, Event::Revoked), 1);
    // a new request (another key) for already revoked certificates changes nothing either
    let again =
        w.revoke_from_device("old", RevocationReason::HolderRequest, &LifecycleParams::with_key(9)).unwrap_err();
    assert_eq!((again.code(), again.unchanged), (Code::CertRevoked, true));
    assert_no_violations(&w);
}

pub(crate) fn concurrent_migrations_first_commit_wins() {
    // MIG-004
    let mut w = world();
    w.add_device("third");
    let old = w.installed_serials("old").unwrap();
    // the second migration is prepared against the same old certificates...
    context::step("MIG-004");
    let challenge = w.issuance_challenge().unwrap();
    let params = IssueParams { replaces: old.clone(), ..IssueParams::both(2) };
    let second = w.issuance_request("hanako", "third", &challenge, &params).unwrap();
    // ...but the first commits before it
    w.migrate_with_old_device("old", "new", &LifecycleParams::with_key(1)).unwrap();
    let refused = w.submit_issuance("third", &second).unwrap_err();
    assert_eq!((refused.code(), refused.unchanged), (Code::MigrationConflict, true));
    assert_eq!(w.installed_serials("new").unwrap().len(), 2);
    assert_no_violations(&w);
}

pub(crate) fn use_after_each_kind_of_revocation_is_refused() {
    // PKI-012 for every revocation reason
    type Revoke = fn(&mut World);
    let cases: [(RevocationReason, Revoke); 6] = [
        (RevocationReason::Superseded, |w| {
            w.migrate_with_old_device("old", "new", &LifecycleParams::with_key(1)).unwrap();
        }),
        (RevocationReason::HolderRequest, |w| {
            w.revoke_from_device("old", RevocationReason::HolderRequest, &LifecycleParams::with_key(1)).unwrap();
        }),
        (RevocationReason::DeviceLost, |w| {
            w.holder_action("hanako", HolderAction::ReportLost, &LifecycleParams::with_key(1)).unwrap();
        }),
        (RevocationReason::DeviceReleased, |w| {
            w.revoke_from_device("old", RevocationReason::DeviceReleased, &LifecycleParams::with_key(1)).unwrap();
        }),
        (RevocationReason::CardRevoked, |w| w.card_event("hanako", CardEvent::AuthRevoked).unwrap()),
        (RevocationReason::ReissueAfterHold, |w| {
            w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(1)).unwrap();
            w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(2)).unwrap();
        }),
    ];
    for (reason, revoke) in cases {
        let mut w = world();
        let kind = if reason == RevocationReason::ReissueAfterHold { Kind::Sign } else { Kind::Auth };
        let rp = if kind == Kind::Sign { GOV_RP } else { SHOP_RP };
        let made_before = assertion_for(&mut w, "old", rp, kind);
        context::step("USE-013");
        revoke(&mut w);
        let refused = w.verify(rp, &made_before).unwrap_err();
        assert_eq!((refused.code(), refused.unchanged), (Code::CertRevoked, true), "{reason:?}");
        assert_no_violations(&w);
    }
}

pub(crate) fn one_notification_per_accepted_use_and_none_per_refusal() {
    // STA-004, INV-003: a long run mixing every flow
    let mut w = world();
    context::step("STA-004");
    let mut accepted = 0;
    let mut refused = 0;
    let mut tally = |result: Result<jpki_reference::world::AcceptedUse, jpki_reference::world::FlowError>| match result
    {
        Ok(_) => accepted += 1,
        Err(e) => {
            assert!(e.unchanged);
            refused += 1
        }
    };
    for round in 0..3u8 {
        tally(w.authenticate("old", SHOP_RP));
        tally(w.sign("old", GOV_RP, b"doc"));
        tally(w.sign("old", SHOP_RP, b"doc")); // not authorised
        w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(10 + round)).unwrap();
        tally(w.authenticate("old", SHOP_RP)); // suspended
        w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(20 + round)).unwrap();
        tally(w.authenticate("old", GOV_RP));
        tally(w.sign("old", GOV_RP, b"doc")); // sign revoked after the hold
        let params = IssueParams { kinds: vec![Kind::Sign], ..IssueParams::both(30 + round) };
        w.issue("hanako", "old", &params).unwrap();
        w.status_reachable = false;
        tally(w.authenticate("old", SHOP_RP)); // undetermined
        w.status_reachable = true;
        w.advance(3600);
    }
    w.migrate_with_old_device("old", "new", &LifecycleParams::with_key(99)).unwrap();
    tally(w.authenticate("old", SHOP_RP)); // superseded
    tally(w.authenticate("new", SHOP_RP));
    tally(w.sign("new", GOV_RP, b"doc"));
    w.sync_device("old").unwrap();
    w.card_event("hanako", CardEvent::SignRevoked).unwrap();
    tally(w.sign("new", GOV_RP, b"doc")); // card-linked
    tally(w.authenticate("new", SHOP_RP));
    w.holder_action("hanako", HolderAction::ReportLost, &LifecycleParams::with_key(100)).unwrap();
    tally(w.authenticate("new", SHOP_RP)); // lost
    assert_eq!((accepted, refused), (12, 15));
    assert_eq!(events(&w, Event::Used), accepted);
    assert_no_violations(&w);
}

/// The lifecycle scenarios as registry entries.
pub(crate) fn checks() -> Vec<super::Check> {
    use super::Feature::*;
    use super::{Check, CheckKind, Role};
    let scenario = |id: &str, title: &str, role, requirements: &[&str], features: Vec<super::Feature>, run: fn()| {
        Check::new(&format!("lifecycle::{id}"), title, role, CheckKind::Scenario, requirements, features, run)
    };
    vec![
        scenario(
            "device-change-with-old-phone",
            "device change with the old phone (path A)",
            Role::Issuer,
            &["MIG-001", "MIG-003", "REV-005", "REV-007", "INV-008"],
            vec![Issuance, MigrationOldDevice, RemoteWipe],
            device_change_with_the_old_phone,
        ),
        scenario(
            "migration-needs-uv-and-live-device",
            "migration needs UV and a live old device",
            Role::Issuer,
            &["MIG-001", "MIG-004"],
            vec![Issuance, MigrationOldDevice, Suspension],
            migration_needs_uv_and_a_live_old_device,
        ),
        scenario(
            "migration-moves-only-held-kinds",
            "path A moves only what the old phone holds, sign on biometrics, to another phone",
            Role::Issuer,
            &["MIG-005", "MIG-006", "MIG-007"],
            vec![Issuance, MigrationOldDevice, Authentication, Signing],
            migration_moves_only_what_the_old_device_holds,
        ),
        scenario(
            "device-change-after-loss",
            "device change after loss, with the card (path B)",
            Role::Issuer,
            &["MIG-002", "MIG-003", "REV-005"],
            vec![Issuance, MigrationCard, RemoteWipe],
            device_change_after_loss_with_the_card,
        ),
        scenario(
            "lost-phone-offline-then-online",
            "lost phone offline, then back online",
            Role::Issuer,
            &["REV-004", "REV-005", "REV-007", "PKI-012"],
            vec![Issuance, RemoteWipe],
            lost_phone_offline_then_back_online,
        ),
        scenario(
            "trade-in-receipt",
            "trade-in receipt verified offline by a shop",
            Role::Issuer,
            &["REV-006"],
            vec![Issuance, DeviceRevocation],
            trade_in_receipt_verified_by_a_shop,
        ),
        scenario(
            "address-change",
            "address change: sign revoked, auth kept",
            Role::Issuer,
            &["REV-008", "PKI-012"],
            vec![Issuance, CardEvents, Signing],
            address_change_revokes_sign_and_keeps_auth,
        ),
        scenario(
            "card-renewal",
            "card renewal revokes every mobile certificate",
            Role::Issuer,
            &["REV-009", "PKI-012"],
            vec![Issuance, CardEvents],
            card_renewal_revokes_every_mobile_certificate,
        ),
        scenario(
            "suspension-then-resumption",
            "suspension, then resumption: auth back, sign reissued",
            Role::Issuer,
            &["SUS-001", "SUS-002", "SUS-003", "PKI-013"],
            vec![Issuance, Suspension, Signing],
            suspension_then_resumption,
        ),
        scenario(
            "a-hold-that-outlives-the-certificates",
            "a hold that outlives the certificates: expired stays expired, the lift is refused",
            Role::Issuer,
            &["SUS-005", "SUS-003", "SUS-004", "PKI-003"],
            vec![Issuance, Suspension, Authentication],
            a_hold_that_outlives_the_certificates,
        ),
        scenario(
            "expiry-at-card-cap",
            "expiry at the card cap",
            Role::Verifier,
            &["PKI-003", "PKI-010", "INV-009"],
            vec![Issuance, Authentication],
            expiry_at_the_card_cap,
        ),
        scenario(
            "double-revocation",
            "double revocation: one receipt, one notification",
            Role::Issuer,
            &["REV-001", "REV-002", "INV-012"],
            vec![Issuance, DeviceRevocation],
            double_revocation_gives_one_receipt_and_one_notification,
        ),
        scenario(
            "concurrent-migrations",
            "concurrent migrations: the first commit wins",
            Role::Issuer,
            &["MIG-004", "INV-001"],
            vec![Issuance, MigrationOldDevice, MigrationCard],
            concurrent_migrations_first_commit_wins,
        ),
        scenario(
            "use-after-revocation",
            "use after every kind of revocation is refused",
            Role::Verifier,
            &["PKI-012", "REV-001", "INV-002", "USE-013"],
            vec![
                Issuance,
                Authentication,
                Signing,
                MigrationOldDevice,
                DeviceRevocation,
                RemoteWipe,
                CardEvents,
                Suspension,
            ],
            use_after_each_kind_of_revocation_is_refused,
        ),
        scenario(
            "one-notification-per-use",
            "one notification per accepted use, none per refusal",
            Role::Status,
            &["STA-004", "INV-003", "INV-005", "INV-011"],
            vec![Issuance, Authentication, Signing, Suspension, MigrationOldDevice, CardEvents, RemoteWipe],
            one_notification_per_accepted_use_and_none_per_refusal,
        ),
        scenario(
            "status-feeds-fresh-and-authentic",
            "Status takes only authentic feeds, newer than what it holds, never undoing a revocation",
            Role::Status,
            &["STA-006", "STA-007", "STA-008", "REV-001"],
            vec![Issuance, Suspension, DeviceRevocation, Authentication],
            truthful::status_takes_only_fresh_authentic_feeds,
        ),
        scenario(
            "receipts-state-what-happened",
            "receipts state the action and each certificate's status on record",
            Role::Issuer,
            &["REV-010", "REV-002", "REV-006"],
            vec![Issuance, Suspension, DeviceRevocation],
            truthful::receipts_say_what_happened,
        ),
        scenario(
            "refused-uses-notify-only-status-answers",
            "a use refused before Status is asked notifies nobody; one refused after Status answered good still notifies",
            Role::Verifier,
            &["USE-009", "STA-009", "STA-004", "INV-003", "INV-011"],
            vec![Issuance, Authentication],
            truthful::refused_uses_notify_only_what_status_answered,
        ),
        scenario(
            "pin-counts-from-non-zero",
            "card failure counts from non-zero: one wrong entry costs one try, a right one resets its own",
            Role::Device,
            &["PIN-001", "PIN-003", "PIN-004", "INV-011"],
            vec![Issuance],
            pin_counts_move_one_entry_at_a_time,
        ),
    ]
}
