//! Checks that what the system tells people is true: Status applies only
//! authentic, fresh feeds from the Issuer and never undoes a revocation
//! (STA-006 … STA-008), receipts state what happened to each certificate
//! (REV-010), and the holder is told of every check Status answered and of
//! none a verifier never made (STA-009, USE-009).

use jpki_reference::Code;
use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use jpki_reference::msgs::lifecycle::{HolderAction, ReceiptAction, ReceiptPayload};
use jpki_reference::msgs::status::{CertStatus, RevocationReason, StatusFeed};
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::notify::Event;
use jpki_reference::receipt::verify_receipt;
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, SHOP_RP, World};

use super::lifecycle::{assert_no_violations, assertion_for, attributes, world};
use super::{context, surgery};

/// What a signed feed says (the suite reads the wire, as Status does).
fn feed_payload(feed: &[u8]) -> StatusFeed {
    let signed = decode_sign1(feed, &Limits::V0).unwrap();
    StatusFeed::from_bytes(signed.payload()).unwrap()
}

pub(crate) fn status_takes_only_fresh_authentic_feeds() {
    // STA-007: a replayed `good` feed does not bring a revoked certificate back
    let mut w = super::served::world(0);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("old");
    w.issue("hanako", "old", &IssueParams::both(1)).unwrap();
    // the feeds the Issuer sent, as they went on the wire
    let issued: Vec<Vec<u8>> = w.sent_feeds().to_vec();
    context::same(issued.len(), 2, "feeds sent for two new certificates");
    w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(2)).unwrap();
    // the hold on `auth`: lifting it makes `auth` good again (sign is revoked)
    let auth_hold = w.sent_feeds()[2..].iter().find(|f| feed_payload(f).kind == Kind::Auth).cloned().unwrap();
    w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(3)).unwrap();
    // STA-008: an older feed replayed after a newer one changes nothing
    context::step("STA-008");
    context::refused(w.status_feed_judges(&auth_hold), Code::FeedStale);
    w.authenticate("old", SHOP_RP).unwrap();
    // the last feeds again (a retry of the same delivery): no effect, no refusal
    let last = w.sent_feeds().last().cloned().unwrap();
    context::accepted(w.status_feed_judges(&last), "the same feed again");
    // STA-006: only the Issuer signs feeds
    context::step("STA-006");
    let said = feed_payload(&last);
    let verifier = w.verifier(GOV_RP).unwrap().credential.clone();
    let mut by_verifier =
        w.forge_status_feed(&said.serial, said.kind, CertStatus::Suspended, said.sequence + 1).unwrap();
    by_verifier = surgery::resigned_by(w.provider(), &by_verifier, &verifier.key.secret, &verifier.cert);
    context::refused_under(w.status_feed_judges(&by_verifier), Code::WrongPurpose, "STA-006");
    w.authenticate("old", SHOP_RP).unwrap();
    // STA-007: a newer feed may not change a certificate's kind
    context::step("STA-007");
    let other_kind = match said.kind {
        Kind::Auth => Kind::Sign,
        Kind::Sign => Kind::Auth,
    };
    let flipped = w.forge_status_feed(&said.serial, other_kind, said.status, said.sequence + 1).unwrap();
    context::refused(w.status_feed_judges(&flipped), Code::FeedConflict);
    // nor undo a revocation, replayed or new
    w.revoke_from_device("old", RevocationReason::HolderRequest, &LifecycleParams::with_key(4)).unwrap();
    let newest = feed_payload(&w.sent_feeds().last().cloned().unwrap());
    for feed in &issued {
        context::refused(w.status_feed_judges(feed), Code::FeedConflict);
    }
    let back = w.forge_status_feed(&newest.serial, newest.kind, CertStatus::Good, newest.sequence + 1).unwrap();
    context::refused(w.status_feed_judges(&back), Code::FeedConflict);
    context::refused(w.authenticate("old", SHOP_RP), Code::CertRevoked);
    assert_no_violations(&w);
}

/// What `receipt` says, verified offline with the mobile root as a shop would.
fn receipt_says(w: &World, receipt: &[u8]) -> ReceiptPayload {
    let anchor = w.pki().mobile_root.anchor(w.provider()).unwrap();
    match verify_receipt(w.provider(), receipt, &anchor, w.now()) {
        Ok(said) => said,
        Err(error) => context::fail("a receipt that verifies with the mobile root", error.to_string()),
    }
}

/// The receipt states `action` and exactly `expected` (serial, status on record).
fn receipt_states(said: &ReceiptPayload, action: ReceiptAction, expected: &[(Vec<u8>, CertStatus)]) {
    context::same(said.action, action, "the receipt's action");
    let mut stated: Vec<(Vec<u8>, CertStatus)> = said.entries.iter().map(|e| (e.serial.clone(), e.status)).collect();
    let mut expected = expected.to_vec();
    stated.sort();
    expected.sort();
    context::same(stated, expected, "the certificates the receipt names, with their status on record");
}

pub(crate) fn receipts_say_what_happened() {
    // REV-010: each receipt states the action and, per certificate, the status on record
    let mut w = world();
    let held = w.installed_serials("old").unwrap();
    let snapshot = w.observe();
    let kind_of = |serial: &Vec<u8>| snapshot.issuer.certs[serial].kind;
    context::step("REV-010");
    let receipt = w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(2)).unwrap();
    let suspended: Vec<_> = held.iter().map(|s| (s.clone(), CertStatus::Suspended)).collect();
    receipt_states(&receipt_says(&w, &receipt), ReceiptAction::Suspended, &suspended);
    w.advance(60);
    let lifted_at = w.now();
    let receipt = w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(3)).unwrap();
    let after_hold = |serial: &Vec<u8>| match kind_of(serial) {
        Kind::Auth => CertStatus::Good,
        Kind::Sign => CertStatus::Revoked { reason: RevocationReason::ReissueAfterHold, at: lifted_at },
    };
    let resumed: Vec<_> = held.iter().map(|s| (s.clone(), after_hold(s))).collect();
    receipt_states(&receipt_says(&w, &receipt), ReceiptAction::Resumed, &resumed);
    // the phone still holds its sign certificate, revoked when the hold was lifted;
    // revoking from the phone restates that revocation as it stands (REV-002)
    w.advance(60);
    let revoked_at = w.now();
    let receipt = w.revoke_from_device("old", RevocationReason::HolderRequest, &LifecycleParams::with_key(4)).unwrap();
    let on_record = |serial: &Vec<u8>| match kind_of(serial) {
        Kind::Auth => CertStatus::Revoked { reason: RevocationReason::HolderRequest, at: revoked_at },
        Kind::Sign => after_hold(serial),
    };
    let revoked: Vec<_> = held.iter().map(|s| (s.clone(), on_record(s))).collect();
    receipt_states(&receipt_says(&w, &receipt), ReceiptAction::Revoked, &revoked);
    assert_no_violations(&w);
}

/// The "used" notifications naming `rp` so far.
fn checked_by(world: &World, rp: &str) -> usize {
    world.notifications().iter().filter(|n| n.event == Event::Used && n.rp_id.as_deref() == Some(rp)).count()
}

pub(crate) fn refused_uses_notify_only_what_status_answered() {
    let mut w = world();
    // USE-009: a use refused by the verifier's own checks never reaches Status, so the
    // holder hears of no check by an rp they never presented to
    context::step("USE-009");
    let for_shop = assertion_for(&mut w, "old", SHOP_RP, Kind::Auth);
    context::refused(w.verify(GOV_RP, &for_shop), Code::RpMismatch);
    context::same(checked_by(&w, GOV_RP), 0, "notifications naming gov after an assertion meant for shop");
    let accepted = assertion_for(&mut w, "old", SHOP_RP, Kind::Auth);
    w.verify(SHOP_RP, &accepted).unwrap();
    context::refused(w.verify(SHOP_RP, &accepted), Code::NonceReused);
    context::same(checked_by(&w, SHOP_RP), 1, "notifications naming shop after one use and its replay");
    // STA-009: Status answered good, the answer was spoiled on its way back and the
    // verifier refused: the holder is told their certificate was checked by shop
    context::step("STA-009");
    w.set_tamper(|hop, bytes| {
        if hop == jpki_reference::world::Hop::StatusResponse {
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        }
    });
    context::refused(w.authenticate("old", SHOP_RP), Code::BadSignature);
    w.clear_tamper();
    context::same(checked_by(&w, SHOP_RP), 2, "notifications naming shop after Status answered good twice");
    assert_no_violations(&w);
}
