//! Judging vector files with a SUT: each test runs against a verifier set
//! up with its group's fixture (stored state, clock), fed Status's answer
//! from the vector, and its verdict and exact code compared.

use jpki_reference::Code;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::usage::UseRequest;
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::observation::VerifierObservation;
use jpki_reference::verifier::{IssuedNonce as StoredNonce, StatusAnswer};
use jpki_reference::world::IssueParams;
use jpki_reference::world::{WORLD_START, World};

use super::format::{StatusAnswerJson, VectorFile, VectorGroup, VectorTest};
use super::{VECTOR_SEED, fixtures};

pub(crate) fn unhex(text: &str, what: &str) -> Result<Vec<u8>, String> {
    hex::decode(text).map_err(|e| format!("{what}: {e}"))
}

fn array32(text: &str, what: &str) -> Result<[u8; 32], String> {
    unhex(text, what)?.try_into().map_err(|_| format!("{what}: 32 bytes"))
}

/// The verifier state a group's fixture describes.
pub fn stored_state(group: &VectorGroup) -> Result<VerifierObservation, String> {
    let mut state = VerifierObservation::default();
    for issued in &group.issued_nonces {
        let nonce = array32(&issued.nonce, "nonce")?;
        let kind = match issued.kind.as_str() {
            "sign" => Kind::Sign,
            "auth" => Kind::Auth,
            other => return Err(format!("kind {other}")),
        };
        let document_digest = issued.document_digest.as_deref().map(|d| array32(d, "digest")).transpose()?;
        let request = UseRequest {
            rp_id: group.rp_id.clone().unwrap_or_default(),
            nonce,
            purpose: issued.purpose.clone(),
            time: issued.time,
            kind,
            document_digest,
        };
        state.nonces.insert(
            nonce,
            StoredNonce { request, expiry: issued.expiry, consumed: issued.consumed, mdoc_elements: None },
        );
    }
    for (serial, counter) in &group.last_counters {
        state.counters.insert(unhex(serial, "serial")?, *counter);
    }
    Ok(state)
}

fn status_answer(json: &StatusAnswerJson) -> Result<StatusAnswer, String> {
    Ok(match json {
        StatusAnswerJson::Response(h) => StatusAnswer::Response(unhex(h, "status response")?),
        StatusAnswerJson::Refused(h) => StatusAnswer::Refused(unhex(h, "status refusal")?),
        StatusAnswerJson::Unreachable => StatusAnswer::Unreachable,
    })
}

/// The group's fixture in the observation form (spec/observation.cddl).
fn observation<T: serde::de::DeserializeOwned>(group: &VectorGroup) -> Result<T, String> {
    let bytes = unhex(group.observation.as_deref().ok_or("the group has no observation")?, "observation")?;
    ciborium::from_reader(bytes.as_slice()).map_err(|e| format!("observation: {e}"))
}

/// Sets `world` up with the group's fixture at the group's clock: the
/// judging role's stored state, or the device recipe. Returns the message
/// the recipe withheld (empty when none was).
pub fn prepare(role: &str, group: &VectorGroup, world: &mut World) -> Result<Vec<u8>, String> {
    let setup_at = group.setup_clock.unwrap_or(group.clock);
    if setup_at > group.clock {
        return Err(format!("setupClock {setup_at} is after the group's clock {}", group.clock));
    }
    if setup_at != group.clock && role != "device" {
        return Err("only a device group's recipe runs at its own setupClock".into());
    }
    world.advance(setup_at.saturating_sub(WORLD_START));
    let fixture = |e: jpki_reference::Error| format!("fixture refused: {e}");
    match role {
        "verifier" => {
            let rp = group.rp_id.clone().ok_or("a verifier group names its rp")?;
            world.load_verifier(&rp, stored_state(group)?).map_err(fixture).map(|()| Vec::new())
        }
        "issuer" => world.load_issuer(observation(group)?).map_err(fixture).map(|()| Vec::new()),
        "status" => world.load_status(observation(group)?).map_err(fixture).map(|()| Vec::new()),
        "device" => {
            let setup = group.setup.as_deref().ok_or("a device group names its setup recipe")?;
            let withheld = fixtures::device_setup(world, setup)?;
            world.advance(group.clock.saturating_sub(world.now()));
            Ok(withheld)
        }
        "client" => Ok(Vec::new()),
        other => Err(format!("no judge for role {other}")),
    }
}

/// Hands `input` to the judging role of a prepared world, where `test`
/// says (its endpoint, and for a verifier Status's answer); the verdict.
/// A verifier's status queries are added to `status_queries`.
pub fn deliver(
    role: &str,
    group: &VectorGroup,
    test: &VectorTest,
    world: &mut World,
    input: &[u8],
    status_queries: &mut usize,
) -> Result<Result<(), Code>, String> {
    deliver_answer(role, group, test, world, input, status_queries).map(|verdict| verdict.map(|_| ()))
}

/// As [`deliver`], with the message the judging role answers (empty for a
/// step that answers none, and for a verifier, whose outcome is no message).
pub fn deliver_answer(
    role: &str,
    group: &VectorGroup,
    test: &VectorTest,
    world: &mut World,
    input: &[u8],
    status_queries: &mut usize,
) -> Result<Result<Vec<u8>, Code>, String> {
    let endpoint = test.endpoint.as_deref();
    Ok(match role {
        "verifier" => {
            let rp = group.rp_id.clone().ok_or("a verifier group names its rp")?;
            let status = test.status.as_ref().ok_or("a verifier test carries Status's answer")?;
            let (verdict, queries) = world.verify_with_answer(&rp, input, status_answer(status)?);
            *status_queries += queries;
            verdict.map(|_| Vec::new()).map_err(|e| e.code())
        }
        "issuer" => world.issuer_judges_at(endpoint.unwrap_or("issue"), input).map_err(|e| e.code()),
        "status" => match endpoint {
            Some("feed") => world.status_feed_judges(input).map(|()| Vec::new()).map_err(|e| e.code()),
            _ => world.status_judges(input).map_err(|e| e.code()),
        },
        "device" => match endpoint.ok_or("a device test names its endpoint")? {
            // the holder types a wrong secret on the card the wallet asks (PIN-001, PIN-004)
            "issuance_challenge_wrong_pin" | "issuance_challenge_wrong_password" => {
                let params = match endpoint {
                    Some("issuance_challenge_wrong_pin") => {
                        IssueParams { auth_pin: "9999".into(), ..IssueParams::both(1) }
                    }
                    _ => IssueParams { sign_password: "WRONG1".into(), ..IssueParams::both(1) },
                };
                world.issuance_request(fixtures::HOLDER, fixtures::DEVICE, input, &params).map_err(|e| e.code())
            }
            endpoint => world.device_judges(fixtures::DEVICE, endpoint, input).map_err(|e| e.code()),
        },
        // Messages no SUT role receives in v0 (a shop's receipt check, a
        // client reading an Error): the suite's own consumer judges them, so
        // the files pin the format for vendors' client libraries.
        "client" => match endpoint {
            Some("receipt") => {
                let anchor = group.trust_anchors.get("mobile").ok_or("a receipt group carries the mobile anchor")?;
                let anchor = jpki_reference::pki::TrustAnchor::from_der(world.provider(), &unhex(anchor, "anchor")?)
                    .map_err(|e| format!("anchor: {e}"))?;
                jpki_reference::receipt::verify_receipt(world.provider(), input, &anchor, group.clock)
                    .map(|_| Vec::new())
                    .map_err(|e| e.code)
            }
            Some("error") => ErrorMessage::from_bytes(input).map(|_| Vec::new()).map_err(|e| e.code),
            other => return Err(format!("no client endpoint {other:?}")),
        },
        other => return Err(format!("no judge for role {other}")),
    })
}

/// A test's input for the SUT whose world withheld `withheld`: remade as
/// its `derive` says, or the file's fixed bytes.
pub fn input_for(test: &VectorTest, withheld: &[u8], world: &World) -> Result<Vec<u8>, String> {
    match test.derive.as_deref() {
        Some(derive) => fixtures::derived_input(derive, withheld, world),
        None => unhex(&test.input, "input"),
    }
}

/// Judges one test with the running check's SUT; `Err` describes a
/// mismatch and names the requirement it breaks.
pub fn judge_test(file: &VectorFile, group: &VectorGroup, test: &VectorTest) -> Result<(), Mismatch> {
    let mismatch = |detail: String| Mismatch { requirement: test_requirement(file, test), detail };
    let mut world = crate::checks::served::world_with_seed(VECTOR_SEED);
    // a fixture or recipe the SUT cannot reach breaks no rule of this test's
    let withheld = prepare(&file.role, group, &mut world).map_err(|detail| Mismatch {
        requirement: None,
        detail: format!("tcId {}: the fixture could not be set up: {detail}", test.tc_id),
    })?;
    let input = input_for(test, &withheld, &world).map_err(mismatch)?;
    let mut queries = 0;
    let verdict = deliver(&file.role, group, test, &mut world, &input, &mut queries).map_err(mismatch)?;
    let actual = match &verdict {
        Ok(()) => "valid".to_owned(),
        Err(code) => format!("invalid {code}"),
    };
    let expected = match (test.result.as_str(), &test.code) {
        ("valid", _) => Some("valid".to_owned()),
        ("invalid", Some(code)) => Some(format!("invalid {code}")),
        ("acceptable", _) => None,
        (other, code) => return Err(mismatch(format!("tcId {}: bad expectation {other} {code:?}", test.tc_id))),
    };
    // the verdict first: a wrong verdict names the test's own rule
    if let Some(expected) = expected.filter(|e| *e != actual) {
        return Err(mismatch(format!("tcId {} ({}): expected {expected}, got {actual}", test.tc_id, test.comment)));
    }
    // refused by the verifier's own checks: Status is never asked (USE-009)
    if queries > 0 && test.flags.iter().any(|f| f == "NoStatusQuery") {
        return Err(Mismatch {
            requirement: Some("USE-009".into()),
            detail: format!(
                "tcId {} ({}): the verifier asked Status before its own checks passed",
                test.tc_id, test.comment
            ),
        });
    }
    // one wrong entry costs one try: the card's counts after the refusal (PIN-004)
    let wrong_entry = match test.endpoint.as_deref() {
        Some("issuance_challenge_wrong_pin") => Some((0, 1)),
        Some("issuance_challenge_wrong_password") => Some((1, 0)),
        _ => None,
    };
    if let Some(expected) = wrong_entry {
        let card = world.observe().cards.get(fixtures::HOLDER).cloned().unwrap_or_default();
        if (card.sign_failures, card.auth_failures) != expected {
            return Err(Mismatch {
                requirement: Some("PIN-004".into()),
                detail: format!(
                    "tcId {} ({}): (sign, auth) failure counts {:?}, expected {expected:?}",
                    test.tc_id,
                    test.comment,
                    (card.sign_failures, card.auth_failures)
                ),
            });
        }
    }
    Ok(())
}

/// One test the SUT judged otherwise than the file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The requirement the test enforces: the nesting rule for a message
    /// nested in another (a note of bug type [`NESTED`]); else its expected
    /// code's, or for a valid test the first requirement its flags' notes
    /// name.
    pub requirement: Option<String>,
    /// What differed.
    pub detail: String,
}

/// How the bug type of every note about a message nested in another
/// begins (`NestedSignature`, `NestedEncoding`): such a test's defect is not
/// the outer message's.
pub const NESTED_PREFIX: &str = "Nested";

/// The bug type of a note about a nested message's signature or chain: the
/// test names the nesting rule (see [`test_requirement`]).
pub const NESTED: &str = "NestedSignature";

/// The requirement `test` enforces (see [`Mismatch::requirement`]).
pub fn test_requirement(file: &VectorFile, test: &VectorTest) -> Option<String> {
    let noted =
        || test.flags.iter().filter_map(|flag| file.notes.get(flag)).flat_map(|note| note.requirements.first()).next();
    // a test about a message nested in another (Status's answer inside a
    // use) is about the rule of the nesting, whatever code it expects
    let nesting = test.flags.iter().filter_map(|flag| file.notes.get(flag)).find(|note| note.bug_type == NESTED);
    if let Some(rule) = nesting.and_then(|note| note.requirements.first()) {
        return Some(rule.clone());
    }
    match test.code.as_deref().and_then(Code::from_wire) {
        // `malformed` is the registry's catch-all: the test's note names the
        // rule it is about (ISS-010 for a certificate under the wrong kind)
        Some(Code::Malformed) => Some(noted().cloned().unwrap_or_else(|| Code::Malformed.requirement().to_owned())),
        Some(code) => Some(code.requirement().to_owned()),
        None => noted().cloned(),
    }
}

/// Judges every test of `file`; returns the mismatches.
pub fn judge_file(file: &VectorFile) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    for group in &file.test_groups {
        for test in &group.tests {
            if let Err(mismatch) = judge_test(file, group, test) {
                mismatches.push(mismatch);
            }
        }
    }
    mismatches
}

/// Encodes a use request's message for checks that need it.
pub fn use_request_bytes(request: &UseRequest) -> Vec<u8> {
    request.to_bytes().unwrap_or_default()
}
