//! Chaos for wallets: the suite, playing the servers for a
//! wallet under test, refuses a valid issuance request with `retry_later`,
//! drops the Issuer's answer after it committed, and delivers an answer
//! late. A conforming wallet sends the same request again, byte for byte in
//! its payload (ISS-015: the same keys, the same idempotency key), and ends
//! in one consistent state: one set of certificates, installed and on
//! record, and one "issued" notification (ISS-016).

use jpki_reference::Code;
use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use jpki_reference::constants::CLOCK_SKEW_SECS;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::issuance::IssuanceRequest;
use jpki_reference::notify::Event;
use jpki_reference::world::{IssueParams, World};

use super::context::{accepted, fail, fail_on, no_violations, refused, same, step};
use super::{Check, CheckKind, Feature, Role, surgery};

const HOLDER: &str = "ichiro";
const DEVICE: &str = "phone";

/// The IssuanceRequestPayload a request carries (the card's two signatures
/// over it may differ between attempts; the payload may not).
fn payload(request: &[u8]) -> Vec<u8> {
    let parsed = IssuanceRequest::from_bytes(request)
        .unwrap_or_else(|e| fail("an IssuanceRequest from the wallet", format!("undecodable: {e}")));
    match decode_sign1(&parsed.signed_by_sign_key, &Limits::V0) {
        Ok(signed) => signed.payload().to_vec(),
        Err(e) => fail("a signed payload in the request", format!("undecodable: {e}")),
    }
}

/// The wallet asked again for the same challenge and choice: the same payload (ISS-015).
fn asked_again(w: &mut World, challenge: &[u8], params: &IssueParams, first: &[u8]) -> Vec<u8> {
    step("ISS-015");
    let again = accepted(w.issuance_request(HOLDER, DEVICE, challenge, params), "the wallet's retry");
    if payload(&again) != payload(first) {
        fail_on(
            "ISS-015",
            "the retry's IssuanceRequestPayload byte for byte as the first (same keys, same idempotency key)",
            "another payload",
        );
    }
    again
}

/// One issuance, however many attempts: the wallet holds the certificates
/// the Issuer has on record for it, and one "issued" notification names them.
fn one_issuance(w: &World) {
    step("ISS-016");
    let mut installed =
        w.installed_serials(DEVICE).unwrap_or_else(|e| fail("the wallet's installed serials", e.to_string()));
    installed.sort();
    let issued: Vec<_> = w.notifications().into_iter().filter(|n| n.event == Event::Issued).collect();
    same(issued.len(), 1, "\"issued\" notifications");
    let mut named = issued[0].certs.clone();
    named.sort();
    same(named, installed.clone(), "the certificates the notification names, installed");
    let mut recorded: Vec<Vec<u8>> = w.observe().issuer.certs.into_keys().collect();
    recorded.sort();
    same(recorded, installed, "the certificates on record, installed");
    no_violations(w);
}

/// A fresh world, a challenge and the wallet's first request for it.
fn first_request(tag: u8) -> (World, IssueParams, Vec<u8>, Vec<u8>) {
    let mut w = surgery::fresh();
    let params = IssueParams::both(tag);
    let challenge = accepted(w.issuance_challenge(), "the challenge");
    let first = accepted(w.issuance_request(HOLDER, DEVICE, &challenge, &params), "the wallet's request");
    (w, params, challenge, first)
}

/// A valid request refused with `retry_later`; the wallet sends it again.
pub(crate) fn refused_then_retried() {
    let (mut w, params, challenge, first) = first_request(1);
    step("ISS-016");
    refused(w.issuer_busy(&first), Code::RetryLater);
    w.advance(30);
    let again = asked_again(&mut w, &challenge, &params, &first);
    step("ISS-016");
    accepted(w.submit_issuance(DEVICE, &again), "the retry issued and installed");
    one_issuance(&w);
}

/// The Issuer committed and its answer was lost; the wallet's retry gets the stored answer.
fn answer_dropped_after_commit() {
    let (mut w, params, challenge, first) = first_request(2);
    let dropped = accepted(w.issuer_judges_at("issue", &first), "the first attempt, committed");
    w.advance(30);
    let again = asked_again(&mut w, &challenge, &params, &first);
    step("ISS-016");
    let answer = accepted(w.submit_issuance(DEVICE, &again), "the retry answered and installed");
    // the suite's Issuer answered the retry with its stored answer (ISS-006): the one the wallet installed
    same(answer, dropped, "the Issuer's answer to the retry: its stored answer");
    one_issuance(&w);
}

/// The Issuer's answer arrives late (within the clock skew); the wallet installs it.
fn answer_delayed() {
    let (mut w, _, _, request) = first_request(3);
    let answer = accepted(w.issuer_judges_at("issue", &request), "the request");
    w.advance(CLOCK_SKEW_SECS - 1);
    step("ISS-016");
    accepted(w.device_judges(DEVICE, "issuance_response", &answer), "the late answer installed");
    one_issuance(&w);
}

/// The chaos checks but the one the registry names (`registry::retry_later`).
pub fn checks() -> Vec<Check> {
    let chaos = |id: &str, title: &str, requirements: &[&str], run: fn()| {
        Check::new(
            &format!("chaos::{id}"),
            title,
            Role::Device,
            CheckKind::Scenario,
            requirements,
            vec![Feature::Issuance],
            run,
        )
    };
    vec![
        chaos(
            "answer-dropped-after-commit",
            "the Issuer's answer lost after it committed: the wallet sends the same request and installs the stored answer",
            &["ISS-015", "ISS-016"],
            answer_dropped_after_commit,
        ),
        chaos(
            "answer-delayed",
            "the Issuer's answer delivered late, within the clock skew: the wallet installs it",
            &["ISS-016"],
            answer_delayed,
        ),
    ]
}
