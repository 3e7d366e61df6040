//! The protocol's invariants (PROTOCOL.md §4, spec/lifecycle.md INV-001 …)
//! as one checker over a world snapshot, plus a step checker over two
//! consecutive snapshots. The world harness runs both after every step.
//! Invariants 11 and 12 (a refusal changes nothing; a retried request has
//! one effect) are about steps: [`check_refusal`] and [`check_retry`] judge
//! a pair of snapshots, and the harness runs the first on every refusal.

use std::collections::{BTreeMap, BTreeSet};

use crate::issuer::Origin;
use crate::msgs::lifecycle::ReceiptPayload;
use crate::msgs::status::{CertStatus, RevocationReason};
use crate::msgs::{Kind, Message, UvMethod};
use crate::notify::Event;
use crate::observation::IssuerObservation;
use crate::world::WorldObservation;

/// One violated invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's number (PROTOCOL.md §4).
    pub invariant: u8,
    /// What was found.
    pub detail: String,
}

fn violation(invariant: u8, detail: String) -> Violation {
    Violation { invariant, detail }
}

fn live(status: &CertStatus) -> bool {
    matches!(status, CertStatus::Good | CertStatus::Suspended)
}

/// Every invariant that can be read off one snapshot; returns all violations.
pub fn check(snapshot: &WorldObservation) -> Vec<Violation> {
    let mut out = Vec::new();
    let issuer = &snapshot.issuer;
    // 1. at most one device holds live certificates of a kind for a holder
    let mut devices: BTreeMap<(&[u8], Kind), BTreeSet<[u8; 32]>> = BTreeMap::new();
    for cert in issuer.certs.values().filter(|c| live(&c.status)) {
        devices.entry((&cert.holder, cert.kind)).or_default().insert(cert.device);
    }
    for ((holder, kind), set) in devices {
        if set.len() > 1 {
            out.push(violation(1, format!("holder {} has live {kind:?} certs on {} devices", hex(holder), set.len())));
        }
    }
    // 2. revocation is effective at Status at once: Status agrees with the registry
    for (serial, cert) in &issuer.certs {
        match snapshot.status.entries.get(serial) {
            Some((_, status)) if *status == cert.status => {}
            other => {
                out.push(violation(2, format!("cert {}: registry {:?}, Status {other:?}", hex(serial), cert.status)))
            }
        }
    }
    // 3. every accepted use has exactly one "used" notification, and 5. a nonce serves once
    let mut used: BTreeMap<(&str, &[u8]), usize> = BTreeMap::new();
    for entry in &snapshot.status.usage_log {
        *used.entry((entry.rp_id.as_str(), entry.nonce.as_slice())).or_default() += 1;
    }
    for (rp, verifier) in &snapshot.verifiers {
        for (nonce, issued) in verifier.nonces.iter().filter(|(_, n)| n.consumed) {
            let count = used.get(&(rp.as_str(), nonce.as_slice())).copied().unwrap_or(0);
            if count != 1 {
                out.push(violation(3, format!("{rp}: accepted use {} has {count} notifications", hex(nonce))));
            }
            let _ = issued;
        }
    }
    for ((rp, nonce), count) in &used {
        if *count > 1 {
            out.push(violation(5, format!("{rp}: nonce {} answered {count} times", hex(nonce))));
        }
    }
    let used_notes = snapshot.status.outbox.iter().filter(|n| n.event == Event::Used).count();
    if used_notes != snapshot.status.usage_log.len() {
        out.push(violation(
            3,
            format!("{used_notes} use notifications for {} logged uses", snapshot.status.usage_log.len()),
        ));
    }
    // 4. nothing but an issuance or a migration creates a certificate
    let announced: BTreeSet<&Vec<u8>> = issuer
        .outbox
        .iter()
        .filter(|n| matches!(n.event, Event::Issued | Event::Migrated))
        .flat_map(|n| n.certs.iter())
        .collect();
    for serial in issuer.certs.keys() {
        if !announced.contains(serial) {
            out.push(violation(4, format!("cert {} was never issued by a flow", hex(serial))));
        }
    }
    // 6. a verifier never saw a counter the device did not make
    for (rp, verifier) in &snapshot.verifiers {
        for (serial, seen) in &verifier.counters {
            for device in snapshot.devices.values() {
                for key in device.installed.values() {
                    let holds = key.cert.as_ref().is_some_and(|c| contains(c, serial));
                    if holds && key.counter < *seen {
                        out.push(violation(6, format!("{rp} saw counter {seen} > device's {}", key.counter)));
                    }
                }
            }
        }
    }
    // 7. card revocation revokes the linked mobile certificates
    for (holder, card) in &issuer.cards {
        for cert in issuer.certs.values().filter(|c| &c.holder == holder && live(&c.status)) {
            if card.auth_revoked || (card.sign_revoked && cert.kind == Kind::Sign) {
                out.push(violation(
                    7,
                    format!("holder {}: live {:?} cert after card revocation", hex(holder), cert.kind),
                ));
            }
        }
    }
    // 8. migration: each superseded certificate has a successor issued at that instant
    for (serial, cert) in &issuer.certs {
        if let CertStatus::Revoked { reason: RevocationReason::Superseded, at } = cert.status {
            let successor =
                issuer.certs.values().any(|c| c.holder == cert.holder && c.kind == cert.kind && c.issued_at == at);
            if !successor {
                out.push(violation(8, format!("cert {} superseded at {at} with no successor", hex(serial))));
            }
        }
    }
    // 9. a mobile certificate never outlives its card
    for (serial, cert) in &issuer.certs {
        if let Some(card) = issuer.cards.get(&cert.holder) {
            if cert.not_after > card.not_after {
                out.push(violation(9, format!("cert {} ends after its card", hex(serial))));
            }
        }
    }
    out.extend(lawful_origins(issuer));
    out.extend(notifications_have_events(snapshot));
    out.extend(receipts_agree(issuer));
    out
}

/// Invariant 13: a certificate has a lawful origin: issued against the card (for
/// `sign`, the card's sign password), or moved by path A from a
/// certificate of the same holder and kind, on another device, superseded
/// at the move, with biometric verification when it is `sign`.
fn lawful_origins(issuer: &IssuerObservation) -> Vec<Violation> {
    let mut out = Vec::new();
    for (serial, cert) in &issuer.certs {
        let Origin::Moved { replaced, uv } = &cert.origin else { continue };
        let from = replaced.iter().filter_map(|s| issuer.certs.get(s)).find(|old| {
            old.holder == cert.holder
                && old.kind == cert.kind
                && old.status == CertStatus::Revoked { reason: RevocationReason::Superseded, at: cert.issued_at }
        });
        let problem = match from {
            None => Some(format!("no {:?} certificate of the holder it moved from", cert.kind)),
            Some(old) if old.device == cert.device => Some("moved to the device it was on".to_owned()),
            Some(_) if cert.kind == Kind::Sign && *uv != UvMethod::Biometric => {
                Some(format!("moved on {uv:?} verification"))
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            out.push(violation(13, format!("{:?} cert {}: {problem}", cert.kind, hex(serial))));
        }
    }
    out
}

/// Invariant 14: every notification reports an event the records show: the
/// certificates it names exist and carry the change it reports, at its time.
fn notifications_have_events(snapshot: &WorldObservation) -> Vec<Violation> {
    let issuer = &snapshot.issuer;
    let mut out = Vec::new();
    for note in &issuer.outbox {
        let time = note.time;
        let shows = |serial: &Vec<u8>| {
            let Some(cert) = issuer.certs.get(serial) else { return false };
            let revoked_at = |reason: Option<RevocationReason>| match cert.status {
                CertStatus::Revoked { reason: r, at } => at == time && reason.is_none_or(|want| want == r),
                _ => false,
            };
            let not_revoked_before = !matches!(cert.status, CertStatus::Revoked { at, .. } if at < time);
            match note.event {
                Event::Issued => cert.issued_at == time,
                Event::Migrated => cert.issued_at == time || revoked_at(Some(RevocationReason::Superseded)),
                Event::Revoked => revoked_at(None),
                Event::Suspended => cert.issued_at <= time && not_revoked_before,
                Event::Resumed if cert.kind == Kind::Sign => revoked_at(Some(RevocationReason::ReissueAfterHold)),
                Event::Resumed => cert.issued_at <= time && not_revoked_before,
                Event::Wiped => issuer
                    .wipes
                    .values()
                    .any(|w| w.state == crate::issuer::WipeState::Acknowledged && w.serials == note.certs),
                Event::Used => false,
            }
        };
        if note.certs.is_empty() || !note.certs.iter().all(shows) {
            out.push(violation(14, format!("a {:?} notification at {time} the records do not show", note.event)));
        }
    }
    for note in &snapshot.status.outbox {
        let logged = snapshot.status.usage_log.iter().any(|entry| {
            note.event == Event::Used
                && note.rp_id.as_deref() == Some(entry.rp_id.as_str())
                && note.certs == [entry.serial.clone()]
                && note.time == entry.time
        });
        if !logged {
            out.push(violation(14, format!("a {:?} notification at {} with no logged answer", note.event, note.time)));
        }
    }
    out
}

/// Invariant 15: a receipt never contradicts the registry: a revocation it states is
/// the one on record (terminal, so it must still be there), and a
/// certificate it states live was not revoked before it was signed.
fn receipts_agree(issuer: &IssuerObservation) -> Vec<Violation> {
    let mut out = Vec::new();
    let receipts = issuer
        .idempotency
        .iter()
        .filter(|((endpoint, _, _), _)| endpoint == "holder-action" || endpoint == "device-revocation")
        .filter_map(|(_, stored)| stored_receipt(&stored.response));
    for receipt in receipts {
        for entry in &receipt.entries {
            let on_record = issuer.certs.get(&entry.serial).map(|c| c.status);
            let agrees = match (entry.status, on_record) {
                (_, None) => false,
                (CertStatus::Revoked { .. }, Some(status)) => status == entry.status,
                (_, Some(CertStatus::Revoked { at, .. })) => at >= receipt.time,
                (_, Some(_)) => true,
            };
            if !agrees {
                out.push(violation(
                    15,
                    format!(
                        "a receipt states {:?} for {}, the registry {on_record:?}",
                        entry.status,
                        hex(&entry.serial)
                    ),
                ));
            }
        }
    }
    out
}

/// The receipt an idempotency record stored, read without verifying its
/// signature (the Issuer's own record); `None` when it is not one.
fn stored_receipt(response: &[u8]) -> Option<ReceiptPayload> {
    let signed = crate::codec::cose_sign1::decode_sign1(response, &crate::codec::Limits::V0).ok()?;
    ReceiptPayload::from_bytes(signed.payload()).ok()
}

/// Invariants about one step: 10. revocation is terminal, its time and reason never change.
pub fn check_step(before: &WorldObservation, after: &WorldObservation) -> Vec<Violation> {
    let mut out = Vec::new();
    for (serial, cert) in &before.issuer.certs {
        if let CertStatus::Revoked { .. } = cert.status {
            let now = after.issuer.certs.get(serial).map(|c| c.status);
            if now != Some(cert.status) {
                out.push(violation(10, format!("cert {}: {:?} became {now:?}", hex(serial), cert.status)));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Invariant 11: a refused request changes nothing, except a wrong PIN, which moves
/// exactly one card's failure count by exactly one.
pub fn check_refusal(before: &WorldObservation, after: &WorldObservation, code: crate::error::Code) -> Vec<Violation> {
    let pin_count = match code {
        crate::error::Code::PinWrong => only_pin_count_moved(before, after, 1),
        crate::error::Code::PinLocked => only_pin_count_moved(before, after, 0),
        _ => false,
    };
    if after == before || pin_count || only_a_good_answer_logged(before, after) {
        return Vec::new();
    }
    vec![violation(11, format!("a refusal ({code}) changed the state"))]
}

/// Invariant 12: a request repeated with its idempotency key has one effect: the
/// retry gets the first answer and changes nothing.
pub fn check_retry(
    after_first: &WorldObservation,
    after_retry: &WorldObservation,
    first: &[u8],
    retry: &[u8],
) -> Vec<Violation> {
    let mut out = Vec::new();
    if first != retry {
        out.push(violation(12, "the retry got another answer".into()));
    }
    if after_first != after_retry {
        out.push(violation(12, "the retry changed the state".into()));
    }
    out
}

/// True when `after` differs from `before` only by Status having answered
/// one new query `good`: one usage-log entry, one "used" notification
/// naming that entry. That answer was Status's own
/// completed step, and it stands whatever the verifier then decided (STA-009).
fn only_a_good_answer_logged(before: &WorldObservation, after: &WorldObservation) -> bool {
    let (was, now) = (&before.status, &after.status);
    let mut patched = after.clone();
    patched.status = was.clone();
    let (Some(entry), Some(note)) = (now.usage_log.last(), now.outbox.last()) else { return false };
    let names_entry = note.event == Event::Used
        && note.rp_id.as_deref() == Some(entry.rp_id.as_str())
        && note.certs == [entry.serial.clone()];
    // Status as it was, plus exactly that entry and that notification
    let mut expected = was.clone();
    expected.usage_log.push(entry.clone());
    expected.outbox.push(note.clone());
    patched == *before && names_entry && expected == *now
}

/// True when `after` differs from `before` only as a refused card entry
/// moves the counts: `raised` counts up by exactly one (one for a wrong
/// entry, PIN-001; none for a locked key, PIN-002), and any other
/// count of that card back to zero, its right secret having been entered
/// earlier in the same request (PIN-003, PIN-004: a card cannot undo it).
fn only_pin_count_moved(before: &WorldObservation, after: &WorldObservation, raised: usize) -> bool {
    let mut patched = after.clone();
    let mut moved_up = 0;
    for (name, card) in &before.cards {
        if let Some(now) = patched.cards.get_mut(name) {
            for (was, is) in
                [(card.sign_failures, &mut now.sign_failures), (card.auth_failures, &mut now.auth_failures)]
            {
                if *is == was + 1 {
                    moved_up += 1;
                    *is = was;
                } else if *is == 0 && was > 0 {
                    *is = was;
                }
            }
        }
    }
    moved_up == raised && patched == *before
}
