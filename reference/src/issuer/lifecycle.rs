//! Migration path A, holder actions through the card, revocation from the
//! device, remote wipe and card-linked revocation (spec/lifecycle.md).

use super::issuance::card_signer;
use super::records::{self, Commit};
use super::store::{IssuerRecords, IssuerWrites, Tx};
use super::{IssuerConfig, IssuerOutput, StoredAnswer, WipeState};
use crate::codec::Limits;
use crate::codec::cose_sign1::{Opened, Sign1, open};
use crate::constants::CLOCK_SKEW_SECS;
use crate::crypto::{CryptoProvider, Entropy};
use crate::error::{Code, Error, Result};
use crate::msgs::lifecycle::{
    DeviceRevocationPayload, HolderAction, HolderActionPayload, MigrationIntentPayload, ReceiptAction,
    WipeReceiptPayload,
};
use crate::msgs::status::{CertStatus, RevocationReason};
use crate::msgs::{Digest, Kind, Message, UvMethod};
use crate::mutants::Mutation;
use crate::notify::{Event, dedup_key};
use crate::pki::{ParsedCert, Purpose, validate_chain};
use crate::time::UnixTime;

/// A COSE_Sign1 by a mobile certificate's key (either kind): the chain and
/// the signature checked; returns the mobile certificate.
fn device_signer(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    signed: &Sign1,
    now: UnixTime,
) -> Result<ParsedCert> {
    let chain = signed.x5chain()?;
    let leaf = validate_chain(provider, &chain, &config.mobile_anchor, Purpose::MobileAuth, now)
        .or_else(|_| validate_chain(provider, &chain, &config.mobile_anchor, Purpose::MobileSign, now))?;
    signed.verify(provider, &leaf.public_key, b"")?;
    Ok(leaf)
}

/// Migration path A: the old device, with UV, signs an intent naming the new
/// device's attested keys; no card. Commits atomically (MIG-001 … MIG-004).
pub fn migrate_with_old_device(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    intent: &[u8],
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(IssuerWrites, IssuerOutput)> {
    // 1. the payload, then signed by a mobile certificate's key on the old device (ENC-018)
    let decode = |bytes: &[u8]| MigrationIntentPayload::from_bytes(provider, bytes);
    let Opened { payload, payload_bytes, signer } =
        open(intent, &Limits::V0, decode, |signed| device_signer(provider, config, signed, now))?;
    let record = view.cert(&signer.serial)?.ok_or(Error::new(Code::CertUnknown, "signer not in the registry"))?;
    let (holder, old_device) = (record.holder.clone(), record.device);
    // 2. idempotency (ISS-006), before anything that a first success changes
    let scope = ("migration".to_owned(), holder.clone(), payload.idempotency_key);
    let body_digest = provider.sha256(&payload_bytes);
    if let Some(stored) = records::replay(config, view, &scope, &body_digest, now)? {
        return Ok((IssuerWrites::default(), IssuerOutput { response: stored, status_feed: vec![] }));
    }
    // 3. the holder verified on the old device (MIG-001), whose certificate is live (MIG-004)
    if !payload.user_verified {
        return Err(Error::new(Code::UvMissing, "migration intent without user verification"));
    }
    records::refuse_inactive(&record.status)?;
    records::check_session(view, &payload.nonce, now)?;
    // 4. it replaces only live certificates of its own device (MIG-002, MIG-004)
    records::check_replaced(view, &holder, Some(old_device), &payload.replaces)?;
    // 5. it moves what it replaces, kind for kind (MIG-005)
    check_kinds_moved(config, view, &payload)?;
    // a `sign` key moves on biometrics only (MIG-006)
    let moves_sign = payload.keys.iter().any(|k| k.kind == Kind::Sign);
    if moves_sign
        && payload.uv_method != UvMethod::Biometric
        && !Mutation::MigrateSignOnPasscode.disables(config.mutation)
    {
        return Err(Error::new(Code::MigrationUvInsufficient, "a sign key moves only on biometric verification"));
    }
    // 6. the new keys: attested, for a device holding nothing live of those kinds
    let device = records::check_attestations(provider, config, &payload.keys, &payload.nonce, now)?;
    // to another device (MIG-007)
    if device == old_device && !Mutation::MigrateToSameDevice.disables(config.mutation) {
        return Err(Error::new(Code::SameDevice, "the new keys are on the old device"));
    }
    records::check_one_device_per_kind(view, &holder, device, &payload.keys, &payload.replaces)?;
    let card = view.card(&holder)?.ok_or(Error::new(Code::CardMismatch, "holder has no card record"))?;
    let attributes = card.attributes.clone().ok_or(Error::new(Code::CardMismatch, "no attributes on record"))?;
    if card.sign_revoked || card.auth_revoked {
        return Err(Error::new(Code::CertRevoked, "the card is revoked"));
    }
    // 7. commit (MIG-003)
    let commit = Commit {
        holder: &holder,
        device,
        keys: &payload.keys,
        attributes: &attributes,
        card_not_after: card.not_after,
        replaces: &payload.replaces,
        nonce: &payload.nonce,
        notification_address: &payload.notification_address,
        event: Event::Migrated,
        origin: super::Origin::Moved { replaced: payload.replaces.clone(), uv: payload.uv_method },
        qualification: &[],
    };
    let mut tx = Tx::new(view);
    let output = records::commit_issuance(provider, config, &mut tx, &commit, entropy, now)?;
    records::remember(
        config,
        &mut tx,
        scope,
        StoredAnswer { body_digest, response: output.response.clone(), stored_at: now },
    );
    Ok((tx.writes, output))
}

/// The kinds of an intent's new keys are those of the certificates it
/// replaces, each once (MIG-005).
fn check_kinds_moved(config: &IssuerConfig, view: &dyn IssuerRecords, payload: &MigrationIntentPayload) -> Result<()> {
    if Mutation::MigrateAnyKind.disables(config.mutation) {
        return Ok(());
    }
    let mut replaced: Vec<Kind> = Vec::new();
    for serial in &payload.replaces {
        replaced.extend(view.cert(serial)?.map(|c| c.kind));
    }
    let mut moved: Vec<Kind> = payload.keys.iter().map(|k| k.kind).collect();
    replaced.sort();
    moved.sort();
    let distinct = moved.windows(2).all(|pair| pair[0] != pair[1]);
    if replaced != moved || !distinct {
        return Err(Error::new(Code::MigrationKindsMismatch, "the new keys are not the replaced certificates' kinds"));
    }
    Ok(())
}

/// The mutant's receipt (REV-010 switched off): every serial "revoked" for
/// the request's reason at this instant, whatever happened.
fn restated_receipt(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    serials: &[Vec<u8>],
    reason: RevocationReason,
    now: UnixTime,
    device: Option<Digest>,
) -> Result<Vec<u8>> {
    let mut restated = Tx::new(view);
    for serial in serials {
        if let Some(mut record) = restated.cert(serial)? {
            record.status = CertStatus::Revoked { reason, at: now };
            restated.put_cert(serial, record);
        }
    }
    records::receipt(provider, config, &restated, ReceiptAction::Revoked, serials, now, device)
}

/// The time a lifecycle request states is within the allowed skew of the
/// Issuer's clock (REV-011).
fn check_time(config: &IssuerConfig, stated: UnixTime, now: UnixTime) -> Result<()> {
    if stated.abs_diff(now) > CLOCK_SKEW_SECS && !Mutation::IgnoreLifecycleTime.disables(config.mutation) {
        return Err(Error::with_detail(Code::LifecycleTimeSkew, format!("signed at {stated}, now {now}")));
    }
    Ok(())
}

/// A live certificate: serial, kind, device, status.
type Live = (Vec<u8>, Kind, Digest, CertStatus);

/// The live (active or suspended) certificates of `holder`; with `unexpired_at`,
/// only those not past their notAfter then. A holder action leaves an
/// expired certificate as it is, suspended or not (SUS-005); a card event
/// still revokes it (its revocation comes after its expiry, so an observer
/// keeps seeing it expired, spec/state-machines.md).
fn live_certs(view: &dyn IssuerRecords, holder: &[u8], unexpired_at: Option<UnixTime>) -> Result<Vec<Live>> {
    Ok(view
        .holder_certs(holder)?
        .into_iter()
        .filter(|(_, c)| matches!(c.status, CertStatus::Good | CertStatus::Suspended))
        .filter(|(_, c)| unexpired_at.is_none_or(|now| now <= c.not_after))
        .map(|(s, c)| (s, c.kind, c.device, c.status))
        .collect())
}

/// A holder action proven by the card's auth key and PIN (the 24-hour line):
/// report the phone lost (REV-004, REV-005), put a hold on (SUS-001), or lift
/// it (SUS-002). Answers with a receipt of what changed.
pub fn holder_action(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    request: &[u8],
    entropy: &mut dyn Entropy,
    now: UnixTime,
) -> Result<(IssuerWrites, IssuerOutput)> {
    // the payload, then the card's auth signature (ENC-018)
    let Opened { payload, payload_bytes, signer: auth_cert } =
        open(request, &Limits::V0, HolderActionPayload::from_bytes, |signed| {
            card_signer(provider, config, signed, Purpose::CardAuth, now)
        })?;
    let holder = auth_cert.serial.clone();
    let card = view.card(&holder)?.ok_or(Error::new(Code::CardMismatch, "card not registered"))?;
    if card.auth_revoked {
        return Err(Error::new(Code::CertRevoked, "the card's auth certificate is revoked"));
    }
    let scope = ("holder-action".to_owned(), holder.clone(), payload.idempotency_key);
    let body_digest = provider.sha256(&payload_bytes);
    if let Some(stored) = records::replay(config, view, &scope, &body_digest, now)? {
        return Ok((IssuerWrites::default(), IssuerOutput { response: stored, status_feed: vec![] }));
    }
    check_time(config, payload.time, now)?;
    let live = live_certs(view, &holder, Some(now))?;
    let mut next = Tx::new(view);
    let mut feed = Vec::new();
    let (event, changed, reason) = match payload.action {
        HolderAction::ReportLost => {
            let mut by_device: Vec<(Digest, Vec<Vec<u8>>)> = Vec::new();
            for (serial, _, device, _) in &live {
                feed.extend(records::revoke(provider, config, &mut next, serial, RevocationReason::DeviceLost, now)?);
                match by_device.iter_mut().find(|(d, _)| d == device) {
                    Some((_, serials)) => serials.push(serial.clone()),
                    None => by_device.push((*device, vec![serial.clone()])),
                }
            }
            // revocation is effective at Status now; the wipe waits for the device (REV-005)
            for (device, serials) in by_device {
                records::queue_wipe(provider, config, &mut next, device, serials, entropy, now)?;
            }
            (Event::Revoked, live.iter().map(|l| l.0.clone()).collect::<Vec<_>>(), RevocationReason::DeviceLost)
        }
        HolderAction::Suspend => {
            let mut changed = Vec::new();
            for (serial, _, _, status) in &live {
                if *status == CertStatus::Good {
                    feed.push(records::set_status(provider, config, &mut next, serial, CertStatus::Suspended)?);
                    changed.push(serial.clone());
                }
            }
            (Event::Suspended, changed, RevocationReason::HolderRequest)
        }
        HolderAction::Resume => {
            let mut changed = Vec::new();
            for (serial, kind, _, status) in &live {
                if *status != CertStatus::Suspended {
                    continue;
                }
                match kind {
                    Kind::Auth if crate::mutants::Mutation::KeepAuthSuspended.disables(config.mutation) => continue,
                    Kind::Auth => {
                        feed.push(records::set_status(provider, config, &mut next, serial, CertStatus::Good)?)
                    }
                    Kind::Sign => feed.extend(records::revoke(
                        provider,
                        config,
                        &mut next,
                        serial,
                        RevocationReason::ReissueAfterHold,
                        now,
                    )?),
                }
                changed.push(serial.clone());
            }
            (Event::Resumed, changed, RevocationReason::ReissueAfterHold)
        }
    };
    if changed.is_empty() {
        return Err(match payload.action {
            HolderAction::Resume => Error::new(Code::NotSuspended, "nothing is on hold"),
            _ if Mutation::NothingLiveAsUnknown.disables(config.mutation) => {
                Error::new(Code::CertUnknown, "the holder has no live mobile certificate")
            }
            _ => Error::new(Code::NothingLive, "the holder has nothing this action could change"),
        });
    }
    let response = if Mutation::ReceiptRestatesRequest.disables(config.mutation) {
        let device = live.first().map(|l| l.2);
        restated_receipt(provider, config, &next, &changed, reason, now, device)?
    } else {
        let action = match payload.action {
            HolderAction::ReportLost => ReceiptAction::Revoked,
            HolderAction::Suspend => ReceiptAction::Suspended,
            HolderAction::Resume => ReceiptAction::Resumed,
        };
        records::receipt(provider, config, &next, action, &changed, now, None)?
    };
    let key = dedup_key("holder-action", &[&holder, &payload.idempotency_key]);
    records::notify(&mut next, event, changed, now, key);
    records::remember(
        config,
        &mut next,
        scope,
        StoredAnswer { body_digest, response: response.clone(), stored_at: now },
    );
    Ok((next.writes, IssuerOutput { response, status_feed: feed }))
}

/// Revocation from the device itself: the holder's request (`holder_request`)
/// or self-deletion before trade-in, buy-back or repair (`device_released`).
/// Answers with an Issuer-signed receipt a shop can verify offline (REV-006).
pub fn device_revocation(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    request: &[u8],
    now: UnixTime,
) -> Result<(IssuerWrites, IssuerOutput)> {
    let Opened { payload, payload_bytes, signer } =
        open(request, &Limits::V0, DeviceRevocationPayload::from_bytes, |signed| {
            device_signer(provider, config, signed, now)
        })?;
    let record = view.cert(&signer.serial)?.ok_or(Error::new(Code::CertUnknown, "signer not in the registry"))?;
    let (holder, device) = (record.holder.clone(), record.device);
    // idempotent: the same request again gets the same receipt (REV-002)
    let scope = ("device-revocation".to_owned(), holder.clone(), payload.idempotency_key);
    let body_digest = provider.sha256(&payload_bytes);
    if let Some(stored) = records::replay(config, view, &scope, &body_digest, now)? {
        return Ok((IssuerWrites::default(), IssuerOutput { response: stored, status_feed: vec![] }));
    }
    if !payload.user_verified {
        return Err(Error::new(Code::UvMissing, "revocation without user verification"));
    }
    check_time(config, payload.time, now)?;
    // a device revokes only its own certificates (REV-003)
    for serial in &payload.serials {
        let owned = view.cert(serial)?.is_some_and(|c| c.holder == holder && c.device == device);
        if !owned {
            return Err(Error::new(Code::NotOwner, "not this device's certificate"));
        }
    }
    let mut next = Tx::new(view);
    let mut feed = Vec::new();
    let mut revoked = Vec::new();
    for serial in &payload.serials {
        if let Some(message) = records::revoke(provider, config, &mut next, serial, payload.reason, now)? {
            feed.push(message);
            revoked.push(serial.clone());
        }
    }
    if revoked.is_empty() {
        return Err(Error::new(Code::CertRevoked, "already revoked"));
    }
    let response = if Mutation::ReceiptRestatesRequest.disables(config.mutation) {
        restated_receipt(provider, config, &next, &payload.serials, payload.reason, now, Some(device))?
    } else {
        records::receipt(provider, config, &next, ReceiptAction::Revoked, &payload.serials, now, Some(device))?
    };
    let key = dedup_key("device-revocation", &[&holder, &payload.idempotency_key]);
    records::notify(&mut next, Event::Revoked, revoked, now, key);
    records::remember(
        config,
        &mut next,
        scope,
        StoredAnswer { body_digest, response: response.clone(), stored_at: now },
    );
    Ok((next.writes, IssuerOutput { response, status_feed: feed }))
}

/// The wipe commands waiting for `device`, marked delivered; a command not
/// yet acknowledged is sent again, byte for byte (REV-005).
pub fn deliver_wipes(view: &dyn IssuerRecords, device: &Digest) -> Result<(IssuerWrites, Vec<Vec<u8>>)> {
    let mut tx = Tx::new(view);
    let mut commands = Vec::new();
    for (id, mut wipe) in view.device_wipes(device)? {
        if wipe.state == WipeState::Acknowledged {
            continue;
        }
        commands.push(wipe.command.clone());
        if wipe.state != WipeState::Delivered {
            wipe.state = WipeState::Delivered;
            tx.put_wipe(id, wipe);
        }
    }
    Ok((tx.writes, commands))
}

/// Takes a device's signed wipe receipt: the command is acknowledged and one
/// "wiped" notification written; a repeat changes nothing (REV-007).
pub fn acknowledge_wipe(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    receipt: &[u8],
    now: UnixTime,
) -> Result<IssuerWrites> {
    let Opened { payload, signer, .. } = open(receipt, &Limits::V0, WipeReceiptPayload::from_bytes, |signed| {
        device_signer(provider, config, signed, now)
    })?;
    let mut wipe = view.wipe(&payload.command_id)?.ok_or(Error::new(Code::WipeUnknown, "no such wipe command"))?;
    if wipe.serials != payload.serials || !wipe.serials.contains(&signer.serial) {
        return Err(Error::new(Code::WipeUnknown, "receipt for other certificates"));
    }
    if wipe.state == WipeState::Acknowledged {
        return Ok(IssuerWrites::default());
    }
    // a command the device cannot have received (REV-012)
    if wipe.state == WipeState::Queued && !Mutation::AckQueuedWipe.disables(config.mutation) {
        return Err(Error::new(Code::WipeNotDelivered, "the command was never delivered"));
    }
    check_time(config, payload.time, now)?;
    let mut next = Tx::new(view);
    wipe.state = WipeState::Acknowledged;
    next.put_wipe(payload.command_id, wipe);
    let key = dedup_key("wipe", &[&payload.command_id]);
    records::notify(&mut next, Event::Wiped, payload.serials, now, key);
    Ok(next.writes)
}

/// What happened to a card at J-LIS (administrative input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CardEvent {
    /// The card's sign certificate was revoked (address or name change).
    SignRevoked,
    /// The card's auth certificate was revoked, or the card was lost,
    /// suspended, returned, renewed or expired.
    AuthRevoked,
}

/// Linked revocation (REV-008, REV-009): a card event revokes the linked
/// mobile certificates in the same step.
pub fn card_event(
    provider: &dyn CryptoProvider,
    config: &IssuerConfig,
    view: &dyn IssuerRecords,
    holder: &[u8],
    event: CardEvent,
    now: UnixTime,
) -> Result<(IssuerWrites, IssuerOutput)> {
    let mut next = Tx::new(view);
    let mut card = view.card(holder)?.ok_or(Error::new(Code::CardMismatch, "card not registered"))?;
    match event {
        CardEvent::SignRevoked => card.sign_revoked = true,
        CardEvent::AuthRevoked => card.auth_revoked = true,
    }
    next.put_card(holder, card);
    let mut feed = Vec::new();
    let mut revoked = Vec::new();
    for (serial, kind, _, _) in live_certs(view, holder, None)? {
        if event == CardEvent::AuthRevoked || kind == Kind::Sign {
            feed.extend(records::revoke(provider, config, &mut next, &serial, RevocationReason::CardRevoked, now)?);
            revoked.push(serial);
        }
    }
    if !revoked.is_empty() {
        let step = match event {
            CardEvent::SignRevoked => "card-sign-revoked",
            CardEvent::AuthRevoked => "card-auth-revoked",
        };
        let key = dedup_key(step, &[holder]);
        records::notify(&mut next, Event::Revoked, revoked, now, key);
    }
    Ok((next.writes, IssuerOutput { response: Vec::new(), status_feed: feed }))
}
