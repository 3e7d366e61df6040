//! Model-based property runs: random operation sequences over the whole
//! lifecycle (generated and shrunk by `proptest-state-machine`, see
//! `state_machine.rs`), applied to the reference (the model) and to the SUT
//! side by side; after every step the SUT's answer (its exact code) and its state
//! snapshot must equal the model's, and the SUT's world must find no
//! invariant violated. A failure is shrunk by proptest to a minimal trace,
//! printed with the seed that replays it.

use jpki_reference::device::UserVerification;
use jpki_reference::issuer::CardEvent;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::CertStatus;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::msgs::{Kind, UvMethod};
use jpki_reference::world::{GOV_RP, Hop, IssueParams, LifecycleParams, MigrationPlan, SHOP_RP, World};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use super::context;
use super::state_machine::{LifecycleModel, run_case};
use super::surgery::{assemble, attributes, raw_map, sign_with_raw_protected, split};
use jpki_reference::codec::encode;
use proptest_state_machine::ReferenceStateMachine;

use super::divergence::{Divergence, compare_step};

/// The holders of the property runs' worlds.
pub const HOLDERS: [&str; 2] = ["h0", "h1"];
/// The devices of the property runs' worlds.
pub const DEVICES: [&str; 3] = ["d0", "d1", "d2"];

/// One operation of a run (field names say which holder, device or rp, by
/// index). Serialised in trace files as `{"op": "issue", "holder": 0, …}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum Op {
    /// Issue `kinds` (0 both, 1 sign, 2 auth) for a holder on a device.
    Issue { holder: usize, device: usize, kinds: u8, key: u8 },
    /// The same issuance request sent twice (a retry).
    IssueTwice { holder: usize, device: usize },
    /// Authenticate at an rp.
    Authenticate { device: usize, rp: usize },
    /// Sign at an rp (gov is authorised for sign, shop is not).
    Sign { device: usize, rp: usize, passcode: bool },
    /// An assertion verified twice (replay).
    Replay { device: usize },
    /// Two assertions verified newest first (a cloned key's counter).
    CounterBack { device: usize },
    /// An assertion made for shop, sent to gov.
    OtherRp { device: usize },
    /// An assertion re-encoded with its protected header unsorted.
    NonDeterministic { device: usize },
    /// Status unreachable for one authentication.
    Unreachable { device: usize },
    /// Move the clock.
    Advance { secs: u16 },
    /// A holder action through the card.
    Hold { holder: usize, action: u8, key: u8 },
    /// A hold, then lifting it (`auth` back, `sign` revoked).
    HoldAndLift { holder: usize, key: u8 },
    /// Migration with the old device at hand.
    MigrateOld { old: usize, new: usize, key: u8 },
    /// Migration with the card (old device lost).
    MigrateCard { holder: usize, old: usize, new: usize },
    /// Revocation from the device (holder request or release).
    RevokeFromDevice { device: usize, released: bool, key: u8 },
    /// A card event at J-LIS.
    Card { holder: usize, sign_only: bool },
    /// A device comes online (or goes offline) and syncs.
    Online { device: usize, online: bool },
    /// Path A shaped by the holder: `old` replaces all it holds with new keys
    /// of `kinds` (0 both, 1 sign, 2 auth) on `new`, verified by passcode or
    /// biometrics.
    MigrateKinds { old: usize, new: usize, kinds: u8, passcode: bool, key: u8 },
    /// A StatusFeed sent earlier, delivered again: the `nth` sent (counted
    /// from the first, modulo how many were sent).
    ReplayFeed { nth: u8 },
    /// A feed suspending `device`'s first certificate, newer than any sent,
    /// signed by a verifier instead of the Issuer.
    ForgedFeed { device: usize },
    /// An authentication the holder did not verify: the wallet is asked
    /// for an assertion without UV.
    WithoutUv { device: usize },
    /// An issuance where the holder types a wrong auth PIN (or sign password).
    WrongSecret { holder: usize, device: usize, password: bool },
    /// An issuance of both kinds whose request offers one SE key for both
    /// (a modified wallet; the suite re-signs it with the holder's card).
    SharedKey { holder: usize, device: usize },
    /// A revocation the device signed ten minutes before it reaches the Issuer.
    LateRevocation { device: usize, key: u8 },
    /// J-LIS registers the holder's card again.
    Reregister { holder: usize },
    /// A request sent earlier (the `nth` the world kept, modulo how many),
    /// delivered again to an endpoint of its type: an assertion to the rp
    /// `rp`, anything else to the Issuer.
    ReplaySeen { nth: u8, rp: usize },
    /// Path A whose answer is lost after the Issuer committed: the new
    /// device sends the same intent again and installs the answer.
    LostAnswer { old: usize, new: usize, key: u8 },
    /// Every online device fetches its wipe commands and answers each.
    FetchWipes,
    /// Time passes every card's and certificate's notAfter (five years).
    Expire,
    /// Issue both kinds with `count` qualification mdocs (spec/qualification.md).
    /// This and `ReadQualification` are not drawn by [`op`]: the qualification's
    /// trace vectors (vectors/traces/) use them, and the random mix stays the
    /// lifecycle's (its rarest transitions fire only at its present weights).
    IssueQualified { holder: usize, device: usize, count: u8, key: u8 },
    /// A qualification reading at an rp: the elements of bit mask `asked`
    /// (at least one), the holder approving those of `approved`; `defect` 1
    /// changes a released value in flight, 2 hands the response in for
    /// another session of the reader.
    ReadQualification { device: usize, rp: usize, asked: u8, approved: u8, defect: u8 },
}

/// The strategy for one operation. proptest shrinks a union towards its
/// earlier branches, so `IssueTwice` (an issuance and its retry in one op)
/// comes first: a failing pair of issuances can shrink into it.
///
/// Holders and devices are drawn with the first ones likelier (3:1 and
/// 3:2:1): most rules break only when operations meet on one holder's
/// device, and a third device is needed only for rarer interleavings.
pub fn op() -> impl Strategy<Value = Op> {
    let h = prop_oneof![3 => Just(0usize), 1 => Just(1usize)];
    let d = prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)];
    prop_oneof![
        1 => (h.clone(), d.clone()).prop_map(|(holder, device)| Op::IssueTwice { holder, device }),
        4 => (h.clone(), d.clone(), 0u8..3, 0u8..4).prop_map(|(holder, device, kinds, key)| Op::Issue { holder, device, kinds, key }),
        4 => (d.clone(), 0usize..2).prop_map(|(device, rp)| Op::Authenticate { device, rp }),
        3 => (d.clone(), 0usize..2, any::<bool>()).prop_map(|(device, rp, passcode)| Op::Sign { device, rp, passcode }),
        1 => d.clone().prop_map(|device| Op::Replay { device }),
        2 => d.clone().prop_map(|device| Op::CounterBack { device }),
        1 => d.clone().prop_map(|device| Op::OtherRp { device }),
        1 => d.clone().prop_map(|device| Op::NonDeterministic { device }),
        1 => d.clone().prop_map(|device| Op::Unreachable { device }),
        1 => (0u16..700).prop_map(|secs| Op::Advance { secs }),
        2 => (h.clone(), 0u8..3, 0u8..4).prop_map(|(holder, action, key)| Op::Hold { holder, action, key }),
        2 => (h.clone(), 0u8..4).prop_map(|(holder, key)| Op::HoldAndLift { holder, key }),
        1 => (d.clone(), d.clone(), 0u8..4).prop_map(|(old, new, key)| Op::MigrateOld { old, new, key }),
        1 => (h.clone(), d.clone(), d.clone()).prop_map(|(holder, old, new)| Op::MigrateCard { holder, old, new }),
        1 => (d.clone(), any::<bool>(), 0u8..4).prop_map(|(device, released, key)| Op::RevokeFromDevice { device, released, key }),
        1 => (h.clone(), any::<bool>()).prop_map(|(holder, sign_only)| Op::Card { holder, sign_only }),
        1 => (d.clone(), any::<bool>()).prop_map(|(device, online)| Op::Online { device, online }),
        2 => (d.clone(), d.clone(), 0u8..3, any::<bool>(), 0u8..4)
            .prop_map(|(old, new, kinds, passcode, key)| Op::MigrateKinds { old, new, kinds, passcode, key }),
        2 => (0u8..8).prop_map(|nth| Op::ReplayFeed { nth }),
        1 => d.clone().prop_map(|device| Op::ForgedFeed { device }),
        1 => d.clone().prop_map(|device| Op::WithoutUv { device }),
        1 => (h.clone(), d.clone(), any::<bool>()).prop_map(|(holder, device, password)| Op::WrongSecret { holder, device, password }),
        1 => (h, d.clone()).prop_map(|(holder, device)| Op::SharedKey { holder, device }),
        1 => (d.clone(), 0u8..4).prop_map(|(device, key)| Op::LateRevocation { device, key }),
        1 => (0..HOLDERS.len()).prop_map(|holder| Op::Reregister { holder }),
        2 => (0u8..16, 0usize..2).prop_map(|(nth, rp)| Op::ReplaySeen { nth, rp }),
        1 => (d.clone(), d, 0u8..4).prop_map(|(old, new, key)| Op::LostAnswer { old, new, key }),
        1 => Just(Op::FetchWipes),
        1 => Just(Op::Expire),
    ]
}

/// A world of the property runs' shape (two holders, three devices): the
/// model (`sut == false`, the reference) or the running check's SUT.
pub fn world_for(sut: bool, seed: [u8; 32]) -> World {
    let mut world =
        if sut { super::served::world_with_seed(seed) } else { World::new(seed).expect("the model world builds") };
    for holder in HOLDERS {
        world.add_holder(holder, attributes()).expect("a holder");
    }
    for device in DEVICES {
        world.add_device(device);
    }
    world
}

/// The kinds an operation's `kinds` field names.
fn kinds_of(kinds: u8) -> Vec<Kind> {
    match kinds {
        0 => Kind::ALL.to_vec(),
        1 => vec![Kind::Sign],
        _ => vec![Kind::Auth],
    }
}

/// An answer carrying a receipt: `ok[action: statuses]`, what the receipt
/// states once verified offline, serials and the device digest left out
/// (the SUT's random choice; whether a device is named is kept), statuses
/// in order (REV-010).
fn receipt_answer(w: &World, result: Result<Vec<u8>, jpki_reference::world::FlowError>) -> String {
    let receipt = match result {
        Ok(receipt) => receipt,
        Err(e) => return e.code().as_str().into(),
    };
    let said = w
        .pki()
        .mobile_root
        .anchor(w.provider())
        .and_then(|anchor| jpki_reference::receipt::verify_receipt(w.provider(), &receipt, &anchor, w.now()));
    match said {
        Ok(said) => {
            let mut statuses: Vec<String> = said.entries.iter().map(|e| status_word(&e.status)).collect();
            statuses.sort();
            // the device is named for a device revocation only (REV-010): whether it is, not which
            let device = if said.device.is_some() { " on a device" } else { "" };
            format!("ok[{:?}: {}{device}]", said.action, statuses.join(" "))
        }
        Err(e) => format!("ok[receipt refused: {}]", e.code),
    }
}

/// A status in one comma-free word.
fn status_word(status: &CertStatus) -> String {
    match status {
        CertStatus::Good => "good".into(),
        CertStatus::Suspended => "suspended".into(),
        CertStatus::Revoked { reason, at } => format!("revoked/{reason:?}@{at}"),
    }
}

fn code<T>(result: Result<T, jpki_reference::world::FlowError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(e) => e.code().as_str().into(),
    }
}

fn assertion(w: &mut World, device: &str, rp: &str) -> Result<Vec<u8>, jpki_reference::world::FlowError> {
    let request = w.use_request(rp, Kind::Auth, "log in", None)?;
    w.assertion(device, &request, UserVerification::BIOMETRIC)
}

/// Applies `op`; returns the outcome as a comparable string.
pub fn apply(w: &mut World, op: &Op) -> String {
    let rp = |i: usize| if i == 0 { GOV_RP } else { SHOP_RP };
    match *op {
        Op::Issue { holder, device, kinds, key } => {
            let params = IssueParams { kinds: kinds_of(kinds), ..IssueParams::both(key) };
            code(w.issue(HOLDERS[holder], DEVICES[device], &params))
        }
        Op::IssueTwice { holder, device } => {
            let challenge = match w.issuance_challenge() {
                Ok(c) => c,
                Err(e) => return e.code().as_str().into(),
            };
            match w.issuance_request(HOLDERS[holder], DEVICES[device], &challenge, &IssueParams::both(200)) {
                Ok(request) => {
                    let first = code(w.submit_issuance(DEVICES[device], &request));
                    let second = code(w.issuer_judges(&request));
                    format!("{first},{second}")
                }
                Err(e) => e.code().as_str().into(),
            }
        }
        Op::Authenticate { device, rp: r } => code(w.authenticate(DEVICES[device], rp(r))),
        Op::Sign { device, rp: r, passcode } => {
            let digest = w.provider().sha256(b"doc");
            let request = match w.use_request(rp(r), Kind::Sign, "sign", Some(digest)) {
                Ok(r) => r,
                Err(e) => return e.code().as_str().into(),
            };
            let uv = if passcode { UserVerification::PASSCODE } else { UserVerification::BIOMETRIC };
            match w.assertion(DEVICES[device], &request, uv) {
                Ok(a) => code(w.verify(rp(r), &a)),
                Err(e) => e.code().as_str().into(),
            }
        }
        Op::Replay { device } => match assertion(w, DEVICES[device], SHOP_RP) {
            Ok(a) => format!("{},{}", code(w.verify(SHOP_RP, &a)), code(w.verify(SHOP_RP, &a))),
            Err(e) => e.code().as_str().into(),
        },
        Op::CounterBack { device } => {
            let (Ok(first), Ok(second)) =
                (assertion(w, DEVICES[device], SHOP_RP), assertion(w, DEVICES[device], SHOP_RP))
            else {
                return "no-assertion".into();
            };
            format!("{},{}", code(w.verify(SHOP_RP, &second)), code(w.verify(SHOP_RP, &first)))
        }
        Op::OtherRp { device } => match assertion(w, DEVICES[device], SHOP_RP) {
            Ok(a) => code(w.verify(GOV_RP, &a)),
            Err(e) => e.code().as_str().into(),
        },
        Op::NonDeterministic { device } => match assertion(w, DEVICES[device], SHOP_RP) {
            Ok(a) => {
                let mut parts = split(&a);
                parts.protected.reverse();
                let protected = raw_map(parts.protected.clone());
                // re-signed over the unsorted bytes when the suite plays the phone, so
                // only the encoding is wrong; a wallet under test keeps its keys, and
                // its signature then covers other bytes: the decoder refuses first either way
                let forged = match w.suite_secret(DEVICES[device], Kind::Auth) {
                    Some(s) => sign_with_raw_protected(w.provider(), &parts, &protected, &s),
                    None => {
                        assemble(&protected, &parts.unprotected, &encode(&parts.payload).unwrap(), &parts.signature)
                    }
                };
                code(w.verify(SHOP_RP, &forged))
            }
            Err(e) => e.code().as_str().into(),
        },
        Op::Unreachable { device } => {
            w.status_reachable = false;
            let outcome = code(w.authenticate(DEVICES[device], SHOP_RP));
            w.status_reachable = true;
            outcome
        }
        Op::Advance { secs } => {
            w.advance(u64::from(secs));
            "ok".into()
        }
        Op::Hold { holder, action, key } => {
            let action = [HolderAction::Suspend, HolderAction::Resume, HolderAction::ReportLost][usize::from(action)];
            let result = w.holder_action(HOLDERS[holder], action, &LifecycleParams::with_key(key));
            receipt_answer(w, result)
        }
        Op::HoldAndLift { holder, key } => {
            let result = w.holder_action(HOLDERS[holder], HolderAction::Suspend, &LifecycleParams::with_key(key));
            let hold = receipt_answer(w, result);
            let lift_key = LifecycleParams::with_key(key.wrapping_add(100));
            let result = w.holder_action(HOLDERS[holder], HolderAction::Resume, &lift_key);
            let lift = receipt_answer(w, result);
            format!("{hold},{lift}")
        }
        Op::MigrateOld { old, new, key } => {
            code(w.migrate_with_old_device(DEVICES[old], DEVICES[new], &LifecycleParams::with_key(key)))
        }
        Op::MigrateCard { holder, old, new } => {
            let replaces = w.installed_serials(DEVICES[old]).unwrap_or_default();
            code(w.migrate_with_card(HOLDERS[holder], DEVICES[new], replaces, 100))
        }
        Op::RevokeFromDevice { device, released, key } => {
            let reason = if released { RevocationReason::DeviceReleased } else { RevocationReason::HolderRequest };
            let result = w.revoke_from_device(DEVICES[device], reason, &LifecycleParams::with_key(key));
            receipt_answer(w, result)
        }
        Op::Card { holder, sign_only } => {
            code(w.card_event(HOLDERS[holder], if sign_only { CardEvent::SignRevoked } else { CardEvent::AuthRevoked }))
        }
        Op::Online { device, online } => {
            w.set_online(DEVICES[device], online);
            code(w.sync_device(DEVICES[device]))
        }
        Op::FetchWipes => {
            let answers: Vec<String> = DEVICES
                .iter()
                .map(|device| match w.sync_device(device) {
                    Ok(commands) => format!("{commands}"),
                    Err(e) => e.code().as_str().into(),
                })
                .collect();
            format!("ok[wipes: {}]", answers.join(" "))
        }
        Op::Expire => {
            w.advance(5 * 365 * 86_400 + 86_400);
            "ok".into()
        }
        Op::IssueQualified { .. } | Op::ReadQualification { .. } if context::absent(super::Feature::Qualification) => {
            "qualification declared absent".into()
        }
        Op::IssueQualified { holder, device, count, key } => {
            let params = IssueParams { qualification: usize::from(count), ..IssueParams::both(key) };
            code(w.issue(HOLDERS[holder], DEVICES[device], &params))
        }
        Op::ReadQualification { device, rp: r, asked, approved, defect } => {
            super::qualification::property_reading(w, DEVICES[device], rp(r), asked, approved, defect)
        }
        Op::MigrateKinds { old, new, kinds, passcode, key } => {
            let replaces = w.installed_serials(DEVICES[old]).unwrap_or_default();
            let plan = MigrationPlan { replaces, kinds: kinds_of(kinds) };
            let uv_method = if passcode { UvMethod::Passcode } else { UvMethod::Biometric };
            let params = LifecycleParams { uv_method, ..LifecycleParams::with_key(key) };
            match w.migration_intent_with(DEVICES[old], DEVICES[new], &plan, &params) {
                Ok(intent) => code(w.submit_migration(DEVICES[new], &intent)),
                Err(e) => e.code().as_str().into(),
            }
        }
        Op::ReplayFeed { nth } => {
            let sent = w.sent_feeds();
            let Some(index) = usize::from(nth).checked_rem(sent.len()) else { return "no-feed".into() };
            let feed = sent[index].clone();
            code(w.status_feed_judges(&feed))
        }
        Op::WrongSecret { holder, device, password } => {
            let params = match password {
                true => IssueParams { sign_password: "WRONG1".into(), ..IssueParams::both(0) },
                false => IssueParams { auth_pin: "9999".into(), ..IssueParams::both(0) },
            };
            code(w.issue(HOLDERS[holder], DEVICES[device], &params))
        }
        Op::SharedKey { holder, device } => {
            let params = IssueParams::both(0);
            code(super::surgery::edit_issuance_on(w, HOLDERS[holder], DEVICES[device], &params, |payload, _, _| {
                super::surgery::share_one_key(payload)
            }))
        }
        Op::Reregister { holder } => match w.register_card_again(HOLDERS[holder]) {
            Ok(()) => "ok".into(),
            Err(e) => e.code.as_str().into(),
        },
        Op::LateRevocation { device, key } => {
            let params = LifecycleParams::with_key(key);
            match w.device_revocation_request(DEVICES[device], RevocationReason::HolderRequest, &params) {
                Ok(request) => {
                    w.advance(600);
                    let result = w.submit_device_revocation(DEVICES[device], &request);
                    receipt_answer(w, result)
                }
                Err(e) => e.code().as_str().into(),
            }
        }
        Op::ReplaySeen { nth, rp: r } => {
            let seen = w.seen_requests();
            let Some(index) = usize::from(nth).checked_rem(seen.len()) else { return "no-request".into() };
            let (hop, bytes) = seen[index].clone();
            match hop {
                Hop::Assertion => code(w.verify(rp(r), &bytes)),
                Hop::IssuanceRequest => code(w.issuer_judges_at("issue", &bytes)),
                Hop::MigrationIntent => code(w.issuer_judges_at("migrate", &bytes)),
                Hop::HolderAction => {
                    let result = w.issuer_judges_at("holder_action", &bytes);
                    receipt_answer(w, result)
                }
                _ => {
                    let result = w.issuer_judges_at("device_revocation", &bytes);
                    receipt_answer(w, result)
                }
            }
        }
        Op::LostAnswer { old, new, key } => {
            let intent = match w.migration_intent(DEVICES[old], DEVICES[new], &LifecycleParams::with_key(key)) {
                Ok(intent) => intent,
                Err(e) => return e.code().as_str().into(),
            };
            let first = w.issuer_judges_at("migrate", &intent);
            let retry = w.submit_migration(DEVICES[new], &intent);
            match (first, retry) {
                (Ok(first), Ok(retry)) if first != retry => "ok,another-answer".into(),
                (first, retry) => format!("{},{}", code(first), code(retry)),
            }
        }
        Op::WithoutUv { device } => {
            let request = match w.use_request(SHOP_RP, Kind::Auth, "log in", None) {
                Ok(r) => r,
                Err(e) => return e.code().as_str().into(),
            };
            match w.assertion(DEVICES[device], &request, UserVerification::NONE) {
                Ok(a) => code(w.verify(SHOP_RP, &a)),
                Err(e) => e.code().as_str().into(),
            }
        }
        Op::ForgedFeed { device } => match super::surgery::feed_forged_by_verifier(w, DEVICES[device]) {
            Ok(feed) => code(w.status_feed_judges(&feed)),
            Err(why) => why,
        },
    }
}

/// Applies `op` to the SUT, then to the model with the nonces the SUT's
/// verifiers drew adopted: nonces are random bytes the verifier makes
/// (spec/issuance.md §2), so the model predicts none and takes the SUT's,
/// after checking each is fresh: a nonce the verifier issued before, or
/// twice in the step, would reopen a spent session (NON-002). Returns (the
/// model's answer, the SUT's).
pub fn apply_sut_then_model(
    model: &mut World,
    sut: &mut World,
    step: usize,
    op: &Op,
) -> Result<(String, String), Divergence> {
    let actual = apply(sut, op);
    let drawn = sut.take_issued_nonces();
    let issued = if drawn.is_empty() { Default::default() } else { model.observe().verifiers };
    for (i, (rp, nonce)) in drawn.iter().enumerate() {
        let before = issued.get(rp).is_some_and(|v| v.nonces.contains_key(nonce));
        if before || drawn[..i].contains(&(rp.clone(), *nonce)) {
            let detail = format!("step {step} ({op:?}): verifier {rp} issued nonce {} again", hex::encode(nonce));
            return Err(Divergence { requirement: Some("NON-002".into()), detail });
        }
    }
    model.adopt_nonces(drawn);
    let expected = apply(model, op);
    model.adopt_nonces(Vec::new());
    model.take_issued_nonces();
    Ok((expected, actual))
}

/// Runs `ops` on the model and the SUT; `Err` names the first divergence
/// and the requirement it breaks.
pub fn compare(seed: [u8; 32], ops: &[Op]) -> Result<(), Divergence> {
    let mut model = world_for(false, seed);
    let mut sut = world_for(true, seed);
    for (step, op) in ops.iter().enumerate() {
        let (expected, actual) = apply_sut_then_model(&mut model, &mut sut, step, op)?;
        compare_step(step, op, (&model, &expected), (&sut, &actual))?;
    }
    Ok(())
}

/// Runs `ops` on the model and the SUT: `Ok(None)` when they agree,
/// `Ok(Some(why))` when they part (or a step stopped), `Err` when the SUT
/// does not implement a step.
fn divergence(seed: [u8; 32], ops: &[Op]) -> Result<Option<Divergence>, context::Unimplemented> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compare(seed, ops))) {
        Ok(outcome) => Ok(outcome.err()),
        Err(payload) => {
            if let Some(missing) = payload.downcast_ref::<context::Unimplemented>() {
                return Err(missing.clone());
            }
            Ok(Some(super::state_machine::stopped(payload.as_ref())))
        }
    }
}

/// The holder and device an operation names (0 where it names none).
fn indices(op: &Op) -> (usize, usize) {
    match *op {
        Op::Issue { holder, device, .. }
        | Op::IssueTwice { holder, device }
        | Op::WrongSecret { holder, device, .. }
        | Op::SharedKey { holder, device } => (holder, device),
        Op::Hold { holder, .. }
        | Op::HoldAndLift { holder, .. }
        | Op::Card { holder, .. }
        | Op::Reregister { holder } => (holder, 0),
        Op::MigrateCard { holder, new, .. } => (holder, new),
        Op::MigrateOld { new, .. } => (0, new),
        Op::Authenticate { device, .. }
        | Op::Sign { device, .. }
        | Op::Replay { device }
        | Op::CounterBack { device }
        | Op::OtherRp { device }
        | Op::NonDeterministic { device }
        | Op::Unreachable { device }
        | Op::RevokeFromDevice { device, .. }
        | Op::Online { device, .. } => (0, device),
        Op::MigrateKinds { new, .. } => (0, new),
        Op::ForgedFeed { device } | Op::WithoutUv { device } | Op::LateRevocation { device, .. } => (0, device),
        Op::LostAnswer { new, .. } => (0, new),
        Op::IssueQualified { holder, device, .. } => (holder, device),
        Op::ReadQualification { device, .. } => (0, device),
        Op::Advance { .. } | Op::Expire | Op::FetchWipes | Op::ReplayFeed { .. } | Op::ReplaySeen { .. } => (0, 0),
    }
}

/// Simple operations of every kind to try in place of `op`: each kind with
/// its other fields at their simplest, naming holder and device 0 or the
/// ones `op` names, in the strategy's order.
fn replacements(op: &Op) -> Vec<Op> {
    let (h, d) = indices(op);
    let mut holders = vec![0, h];
    holders.dedup();
    let mut devices = vec![0, d];
    devices.dedup();
    let mut out = Vec::new();
    for &holder in &holders {
        for &device in &devices {
            out.push(Op::IssueTwice { holder, device });
            out.push(Op::Issue { holder, device, kinds: 0, key: 0 });
            out.push(Op::WrongSecret { holder, device, password: false });
            out.push(Op::SharedKey { holder, device });
        }
    }
    for &device in &devices {
        for rp in 0..2 {
            out.push(Op::Authenticate { device, rp });
            out.push(Op::Sign { device, rp, passcode: false });
            out.push(Op::Sign { device, rp, passcode: true });
        }
        out.extend([
            Op::Replay { device },
            Op::CounterBack { device },
            Op::OtherRp { device },
            Op::NonDeterministic { device },
            Op::Unreachable { device },
            Op::RevokeFromDevice { device, released: false, key: 0 },
            Op::Online { device, online: true },
            Op::ForgedFeed { device },
            Op::WithoutUv { device },
            Op::LateRevocation { device, key: 0 },
        ]);
        for kinds in 0..3 {
            for passcode in [false, true] {
                out.push(Op::MigrateKinds { old: 0, new: device, kinds, passcode, key: 0 });
            }
        }
        out.push(Op::LostAnswer { old: 0, new: device, key: 0 });
    }
    out.extend([Op::FetchWipes, Op::Expire]);
    out.extend((0..4).map(|nth| Op::ReplayFeed { nth }));
    out.extend((0..4).flat_map(|nth| (0..2).map(move |rp| Op::ReplaySeen { nth, rp })));
    for &holder in &holders {
        out.extend((0..3).map(|action| Op::Hold { holder, action, key: 0 }));
        out.push(Op::HoldAndLift { holder, key: 0 });
        out.push(Op::Card { holder, sign_only: false });
        out.push(Op::Reregister { holder });
        for &new in &devices {
            out.push(Op::MigrateCard { holder, old: 0, new });
        }
    }
    out.retain(|candidate| candidate != op);
    out
}

/// A last shrinking pass after proptest's, which can stop in a local
/// minimum (it shrinks the list and each element, but two operations that
/// fail together are not traded for one that fails alone): while the trace
/// still fails, drop single operations, and try in place of each operation
/// simple ones of every kind (a replacement that keeps the failure may
/// make another operation droppable). Bounded by the trace's length.
fn minimise(seed: [u8; 32], ops: Vec<Op>, reason: Divergence) -> (Vec<Op>, Divergence) {
    let (mut ops, mut reason) = drop_ops(seed, ops, reason);
    let mut position = 0;
    while position < ops.len() {
        let mut improved = false;
        for candidate in replacements(&ops[position]) {
            let mut replaced = ops.clone();
            replaced[position] = candidate;
            if let Ok(Some(why)) = divergence(seed, &replaced) {
                let (shorter, shorter_reason) = drop_ops(seed, replaced, why);
                if shorter.len() < ops.len() {
                    (ops, reason) = (shorter, shorter_reason);
                    improved = true;
                    break;
                }
            }
        }
        position = if improved { 0 } else { position + 1 };
    }
    (ops, reason)
}

/// Drops single operations while the trace still fails.
fn drop_ops(seed: [u8; 32], mut ops: Vec<Op>, mut reason: Divergence) -> (Vec<Op>, Divergence) {
    let mut index = 0;
    while index < ops.len() && ops.len() > 1 {
        let mut shorter = ops.clone();
        shorter.remove(index);
        match divergence(seed, &shorter) {
            Ok(Some(why)) => {
                ops = shorter;
                reason = why;
                index = 0;
            }
            _ => index += 1,
        }
    }
    (ops, reason)
}

/// How many random sequences a property check runs (`JPKI_PROPERTY_CASES`).
pub fn cases() -> u32 {
    std::env::var("JPKI_PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
}

/// More searches for a shorter witness after a first one longer than
/// [`SHORT_ENOUGH`] operations.
const EXTRA_SEARCHES: u8 = 3;
/// A witness this short is not searched past.
const SHORT_ENOUGH: usize = 2;

/// Runs random sequences drawn from `rng_seed` on worlds of the running
/// check's seed, to the first failing one: its operations and proptest's
/// reason (after proptest's shrinking), or `None` when every case agreed.
fn search(
    rng_seed: [u8; 32],
    unimplemented: &std::rc::Rc<std::cell::RefCell<Option<context::Unimplemented>>>,
) -> Option<(Vec<Op>, String)> {
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed));
    let strategy = LifecycleModel::sequential_strategy(1..24);
    let seen = unimplemented.clone();
    let result = runner.run(&strategy, |(model, ops, counter)| match run_case(model, ops, counter) {
        Ok(None) => Ok(()),
        Ok(Some(detail)) => Err(TestCaseError::fail(detail)),
        Err(missing) => {
            *seen.borrow_mut() = Some(missing);
            Ok(())
        }
    });
    match result {
        Ok(()) => None,
        Err(proptest::test_runner::TestError::Fail(reason, (_, ops, _))) => Some((ops, reason.to_string())),
        Err(proptest::test_runner::TestError::Abort(reason)) => Some((vec![], reason.to_string())),
    }
}

/// A failing sequence minimised, with the divergence it ends on.
fn witness(seed: [u8; 32], (trace, reason): (Vec<Op>, String)) -> (Vec<Op>, Divergence) {
    // the failing trace again, for the requirement its first divergence breaks
    let reason = match divergence(seed, &trace) {
        Ok(Some(found)) => found,
        _ => Divergence { requirement: None, detail: reason },
    };
    minimise(seed, trace, reason)
}

/// The property check's script: random sequences from the check's seed;
/// a failure is shrunk and reported as a minimal trace.
pub fn run() {
    let seed = context::seed();
    // A SUT that says "unimplemented" ends the check as such, not as a failed case.
    let unimplemented = std::rc::Rc::new(std::cell::RefCell::new(None));
    // the transitions the cases fire, before any shrinking (printed by the CLI, tested)
    super::transitions::start_counting();
    let found = search(seed, &unimplemented);
    super::transitions::publish(context::sut().name(), seed, super::transitions::stop_counting());
    if let Some(missing) = unimplemented.borrow_mut().take() {
        std::panic::panic_any(missing);
    }
    if let Some(first) = found {
        let (mut trace, mut reason) = witness(seed, first);
        // Shrinking finds a local minimum: a long witness may hide a short one
        // of another shape. Search again from other (seed-derived) sequences,
        // a few times, and keep the shortest witness.
        for attempt in 1..=EXTRA_SEARCHES {
            if trace.len() <= SHORT_ENOUGH {
                break;
            }
            let mut other = seed;
            other[0] ^= attempt;
            if let Some(again) = search(other, &unimplemented) {
                let (shorter, why) = witness(seed, again);
                if shorter.len() < trace.len() {
                    (trace, reason) = (shorter, why);
                }
            }
        }
        let written = context::trace_out().map(|dir| {
            let file = super::trace::TraceFile::from_run(seed, &trace, &reason.to_string());
            file.write_to(&dir, &context::check_id())
        });
        let written = match written {
            Some(Ok(path)) => format!("; trace vector written to {}", path.display()),
            Some(Err(e)) => format!("; the trace vector could not be written: {e}"),
            None => String::new(),
        };
        let trace: Vec<String> = trace.iter().map(|op| format!("{op:?}")).collect();
        let failure = |expected: &str, actual: String| match &reason.requirement {
            Some(requirement) => context::fail_on(requirement, expected, actual),
            None => context::fail(expected, actual),
        };
        failure(
            "the SUT to answer and change state exactly as the model, every step",
            format!("{}; shrunk trace ({} ops): [{}]{written}", reason.detail, trace.len(), trace.join(", ")),
        );
    }
}
