//! The judge of messages crossing between two roles a SUT may serve:
//! a verifier's status query (USE-009) and Status's answer (STA-003).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use jpki_conformance::checks::judge::{judge_status_answer, judge_status_request};
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::roles::{StatusRole, VerifierRole};
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::world::{GOV_RP, IssueParams, ReferenceSetup, World};

#[test]
fn a_sound_query_and_answer_pass_and_each_defect_is_named() {
    let seed = [3; 32];
    let mut world = World::new(seed).unwrap();
    let holder = jpki_reference::pki::HolderAttributes {
        name: "佐藤 一郎".into(),
        address: "大阪府大阪市北区1-1".into(),
        date_of_birth: jpki_reference::time::CivilDate::new(1980, 4, 1).unwrap(),
        sex: jpki_reference::pki::Sex::Male,
    };
    world.add_holder("h", holder).unwrap();
    world.add_device("d");
    world.issue("h", "d", &IssueParams::both(1)).unwrap();
    let setup = ReferenceSetup::new(seed, None).unwrap();
    let mut verifier = setup.verifiers().unwrap().into_iter().find(|v| v.0 == GOV_RP).unwrap().1;
    let mut status = setup.status();
    status.load(world.observe().status).unwrap();
    let (now, provider) = (world.now(), world.provider());
    let root = verifier.config().mobile_anchor.clone();
    let assertion_for = |verifier: &mut jpki_reference::roles::ReferenceVerifier, world: &mut World| {
        let request = verifier.request(Kind::Auth, "log in", None, now).unwrap();
        world.assertion("d", &request, UserVerification::BIOMETRIC).unwrap()
    };
    let assertion = assertion_for(&mut verifier, &mut world);
    let mut query = Vec::new();
    let mut answer = Vec::new();
    verifier
        .verify(&assertion, now, &mut |request| {
            query = request.clone();
            answer = status.answer(&request, now).unwrap();
            StatusAnswer::Response(answer.clone())
        })
        .unwrap();
    // USE-009: the query is the verifier's own, about this assertion
    judge_status_request(provider, &root, GOV_RP, &assertion, &query, now).unwrap();
    let mut forged = query.clone();
    *forged.last_mut().unwrap() ^= 1;
    let why = judge_status_request(provider, &root, GOV_RP, &assertion, &forged, now).unwrap_err();
    assert!(why.contains("signature does not verify"), "{why}");
    let why = judge_status_request(provider, &root, "shop.example.jp", &assertion, &query, now).unwrap_err();
    assert!(why.contains("not as the verifier"), "{why}");
    let other = assertion_for(&mut verifier, &mut world);
    let why = judge_status_request(provider, &root, GOV_RP, &other, &query, now).unwrap_err();
    assert!(why.contains("another certificate or nonce"), "{why}");
    // STA-003: the answer is Status's, about what was asked, timed now
    judge_status_answer(provider, &root, &query, &answer, now).unwrap();
    let mut forged = answer.clone();
    *forged.last_mut().unwrap() ^= 1;
    let why = judge_status_answer(provider, &root, &query, &forged, now).unwrap_err();
    assert!(why.contains("signature does not verify"), "{why}");
    let why = judge_status_answer(provider, &root, &query, &answer, now + 1).unwrap_err();
    assert!(why.contains("thisUpdate"), "an answer made a second before it is judged: {why}");
}
