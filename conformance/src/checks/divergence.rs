//! Where the SUT parted from the model, and which requirement that breaks:
//! one definition for the property runs, the trace replays and the model
//! checker's counterexamples, so a broad check's failure names the rule of
//! the step or invariant that broke, never a catch-all list.

use jpki_reference::Code;
use jpki_reference::world::{World, WorldObservation};

use super::property::Op;

/// The first difference between the SUT and the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The requirement the SUT broke at that step (`None`: a step stopped
    /// for a reason the suite cannot tie to a rule).
    pub requirement: Option<String>,
    /// What happened, for people.
    pub detail: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.requirement {
            Some(requirement) => write!(f, "{} [{requirement}]", self.detail),
            None => write!(f, "{}", self.detail),
        }
    }
}

fn is_use(op: &Op) -> bool {
    matches!(
        op,
        Op::Authenticate { .. }
            | Op::Sign { .. }
            | Op::Replay { .. }
            | Op::CounterBack { .. }
            | Op::OtherRp { .. }
            | Op::NonDeterministic { .. }
            | Op::Unreachable { .. }
            | Op::WithoutUv { .. }
    )
}

/// The rule that makes `op` succeed and defines its effects.
fn op_requirement(op: &Op) -> Option<&'static str> {
    Some(match op {
        Op::Issue { .. } => "ISS-009",
        Op::IssueTwice { .. } => "ISS-006",
        _ if is_use(op) => "USE-013",
        Op::Hold { action: 0, .. } => "SUS-001",
        Op::Hold { action: 1, .. } | Op::HoldAndLift { .. } => "SUS-002",
        Op::Hold { .. } => "REV-004",
        Op::MigrateOld { .. } | Op::MigrateCard { .. } => "MIG-003",
        Op::RevokeFromDevice { .. } => "REV-001",
        Op::Card { sign_only: true, .. } => "REV-008",
        Op::Card { .. } => "REV-009",
        Op::Online { .. } | Op::FetchWipes => "REV-005",
        Op::MigrateKinds { .. } => "MIG-003",
        Op::ReplayFeed { .. } => "STA-008",
        Op::ForgedFeed { .. } => "STA-006",
        Op::WrongSecret { .. } => "PIN-004",
        Op::SharedKey { .. } => "ISS-011",
        Op::LateRevocation { .. } => "REV-011",
        Op::Reregister { .. } => "REV-013",
        // a replayed request the model takes is a retry: its first answer, no second effect
        Op::ReplaySeen { .. } => "INV-012",
        Op::LostAnswer { .. } => "ISS-006",
        Op::IssueQualified { .. } => "QUA-002",
        // what the wallet released differs: only the asked and approved (QUA-005)
        Op::ReadQualification { .. } => "QUA-005",
        _ => return None,
    })
}

/// The requirement broken when the SUT answered `sut` where the model
/// answered `model` (answers are `ok` or a registry code, comma-joined for
/// operations of several messages): the model's refusal code names its
/// rule; a refusal where the model accepts breaks the operation's own rule.
pub fn answer_requirement(op: &Op, model: &str, sut: &str) -> Option<String> {
    let mut parts = model.split(',').zip(sut.split(','));
    let (expected, actual) = parts.find(|(m, s)| m != s).unwrap_or((model, sut));
    // both accepted, their receipts state different things (REV-010)
    if expected.starts_with("ok[") && actual.starts_with("ok[") && !matches!(op, Op::ReadQualification { .. }) {
        return Some("REV-010".into());
    }
    match Code::from_wire(expected) {
        // a feed's signer is judged by STA-006, whatever PKI or COSE code the chain gives
        Some(code) if matches!(op, Op::ForgedFeed { .. }) && code != Code::FeedConflict && code != Code::FeedStale => {
            Some("STA-006".into())
        }
        // on a use, a revoked or suspended certificate is refused by USE-013's rule
        Some(Code::CertRevoked | Code::CertSuspended) if is_use(op) => Some("USE-013".into()),
        // a use accepted although Status refused: accepted without a fresh `good` (USE-013)
        Some(Code::NotAuthorised | Code::CertUnknown) if is_use(op) && actual == "ok" => Some("USE-013".into()),
        Some(code) => Some(code.requirement().to_owned()),
        None => op_requirement(op).map(str::to_owned),
    }
}

/// The requirement broken when the answers agree but the states do not.
pub fn state_requirement(op: &Op, model: &WorldObservation, sut: &WorldObservation) -> Option<String> {
    let requirement = if is_use(op) && sut.status.usage_log.len() > model.status.usage_log.len() {
        // Status answered a query the model's verifier never made: asked before its checks passed
        "USE-009"
    } else if is_use(op) && model.status != sut.status {
        // the "used" notification, written by Status with its answer
        "STA-004"
    } else if is_use(op) && model.verifiers != sut.verifiers {
        "USE-013"
    } else if same_but_notification_keys(model, sut) {
        "NTF-001"
    } else if only_mdoc_entries_differ(model, sut) {
        // Status answers an MSO's identifier as its auth certificate (QUA-003)
        "QUA-003"
    } else {
        return op_requirement(op).map(str::to_owned);
    };
    Some(requirement.into())
}

/// True when Status's entries differ only for qualification MSOs' status
/// identifiers (those the model's registry records with a certificate) and
/// nothing else differs but their feed sequence numbers.
fn only_mdoc_entries_differ(model: &WorldObservation, sut: &WorldObservation) -> bool {
    let aliases: std::collections::BTreeSet<&Vec<u8>> = model.issuer.certs.values().flat_map(|c| &c.mdocs).collect();
    let keys = |a: &WorldObservation| a.status.entries.keys().cloned().collect::<std::collections::BTreeSet<_>>();
    let differing: Vec<Vec<u8>> = keys(model)
        .union(&keys(sut))
        .filter(|k| model.status.entries.get(*k) != sut.status.entries.get(*k))
        .cloned()
        .collect();
    let rest_same = model.issuer == sut.issuer && model.verifiers == sut.verifiers && model.devices == sut.devices;
    rest_same && !differing.is_empty() && differing.iter().all(|k| aliases.contains(k))
}

/// True when the two states differ only in their notifications' keys.
fn same_but_notification_keys(model: &WorldObservation, sut: &WorldObservation) -> bool {
    let keyless = |snapshot: &WorldObservation| {
        let mut copy = snapshot.clone();
        copy.issuer.outbox.iter_mut().chain(copy.status.outbox.iter_mut()).for_each(|n| n.key.clear());
        copy
    };
    keyless(model) == keyless(sut)
}

/// The parts of two world observations that differ, named as in
/// spec/observation.cddl (`issuer.certs`, `verifiers[gov.example.jp].nonces`, ...).
pub fn differing_parts(model: &WorldObservation, sut: &WorldObservation) -> Vec<String> {
    let mut parts = Vec::new();
    let mut compare = |name: String, differs: bool| {
        if differs {
            parts.push(name);
        }
    };
    let (mi, si) = (&model.issuer, &sut.issuer);
    compare("issuer.sessions".into(), mi.sessions != si.sessions);
    compare("issuer.cards".into(), mi.cards != si.cards);
    compare("issuer.certs".into(), mi.certs != si.certs);
    compare("issuer.idempotency".into(), mi.idempotency != si.idempotency);
    compare("issuer.outbox".into(), mi.outbox != si.outbox);
    compare("issuer.wipes".into(), mi.wipes != si.wipes);
    compare("issuer.feed_sequence".into(), mi.feed_sequence != si.feed_sequence);
    let (ms, ss) = (&model.status, &sut.status);
    compare("status.entries".into(), ms.entries != ss.entries);
    compare("status.usage_log".into(), ms.usage_log != ss.usage_log);
    compare("status.outbox".into(), ms.outbox != ss.outbox);
    compare("status.sequences".into(), ms.sequences != ss.sequences);
    let rps: std::collections::BTreeSet<&String> = model.verifiers.keys().chain(sut.verifiers.keys()).collect();
    for rp in rps {
        let (m, s) = (model.verifiers.get(rp), sut.verifiers.get(rp));
        compare(format!("verifiers[{rp}].nonces"), m.map(|v| &v.nonces) != s.map(|v| &v.nonces));
        compare(format!("verifiers[{rp}].counters"), m.map(|v| &v.counters) != s.map(|v| &v.counters));
    }
    let holders: std::collections::BTreeSet<&String> = model.cards.keys().chain(sut.cards.keys()).collect();
    for holder in holders {
        compare(format!("cards[{holder}]"), model.cards.get(holder) != sut.cards.get(holder));
    }
    let devices: std::collections::BTreeSet<&String> = model.devices.keys().chain(sut.devices.keys()).collect();
    for device in devices {
        let (m, s) = (model.devices.get(device), sut.devices.get(device));
        compare(format!("devices[{device}].installed"), m.map(|d| &d.installed) != s.map(|d| &d.installed));
        compare(format!("devices[{device}].pending"), m.map(|d| &d.pending) != s.map(|d| &d.pending));
    }
    parts
}

/// Compares one step: answers, then states, then the SUT world's invariants.
pub fn compare_step(step: usize, op: &Op, model: (&World, &str), sut: (&World, &str)) -> Result<(), Divergence> {
    let (model_world, expected) = model;
    let (sut_world, actual) = sut;
    let (model_state, sut_state) = (model_world.observe(), sut_world.observe());
    if expected != actual {
        let mut requirement = answer_requirement(op, expected, actual);
        // a receipt that differs because the step did something else to the
        // certificates is true to a wrong registry: the step's rule broke,
        // not the receipt's
        let registry_differs = model_state.issuer.certs != sut_state.issuer.certs
            || model_state.status.entries != sut_state.status.entries;
        if requirement.as_deref() == Some("REV-010") && registry_differs {
            requirement = state_requirement(op, &model_state, &sut_state);
        }
        return Err(Divergence {
            requirement,
            detail: format!("step {step} {op:?}: model answered {expected}, SUT {actual}"),
        });
    }
    if model_state != sut_state {
        let parts = differing_parts(&model_state, &sut_state);
        // a part not listed there still differs: say so rather than name nothing
        let parts = if parts.is_empty() { "a part differing_parts does not name".into() } else { parts.join(", ") };
        // equal answers: say whether they were refusals, which then changed a state they must not
        let answered = if expected.starts_with("ok") {
            format!("both answered {expected}")
        } else {
            format!("both refused with {expected}, yet the states differ")
        };
        return Err(Divergence {
            requirement: state_requirement(op, &model_state, &sut_state),
            detail: format!("step {step} {op:?}: {answered}; SUT and model differ in {parts}"),
        });
    }
    if let Some(v) = sut_world.violations().first() {
        return Err(Divergence {
            requirement: Some(format!("INV-{:03}", v.invariant)),
            detail: format!("step {step} {op:?}: invariant {} violated: {}", v.invariant, v.detail),
        });
    }
    Ok(())
}
