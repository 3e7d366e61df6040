//! The conformance matrix (spec/matrix.json × spec/messages.cddl × vectors/):
//! every cell has a cover, a listed reason or a listed gap; every covered
//! cell is shown failing on a mutant (or listed as not yet); the committed
//! page is current; and the test can fail.

use jpki_conformance::matrix::{self, Cover, cddl, targets};

#[test]
fn every_cell_has_a_cover_a_reason_or_a_listed_gap_and_each_cover_fails_on_a_mutant() {
    let data = matrix::read().unwrap();
    let rows = matrix::build(&data).unwrap();
    let missing: Vec<String> = rows
        .iter()
        .flat_map(|r| r.cells.iter().map(move |c| (r, c)))
        .filter(|(_, c)| c.cover == Cover::Missing)
        .map(|(r, c)| format!("{} {} {}", r.row.role, r.row.message, c.target.key))
        .collect();
    assert_eq!(missing, Vec::<String>::new(), "cells with neither a cover, a reason nor a listed gap");
    let evidence = matrix::evidence::gather(&rows);
    let (unlisted, stale) = matrix::unshown_drift(&rows, &evidence);
    assert_eq!(unlisted, Vec::<String>::new(), "covered cells no mutant shows failing, not listed as unshown");
    assert_eq!(stale, Vec::<String>::new(), "cells listed as unshown that a mutant now shows failing");
    // the page in spec/ is this result, rendered
    let committed = std::fs::read_to_string(matrix::spec_dir().join("matrix.md")).unwrap();
    let fresh = matrix::render::page(&data, &rows, &evidence);
    assert!(committed == fresh, "spec/matrix.md is stale: run `cargo run -p jpki-conformance -- matrix --write`");
}

#[test]
fn a_cell_that_loses_its_only_cover_is_missing() {
    let mut data = matrix::read().unwrap();
    let before = matrix::counts(&matrix::build(&data).unwrap(), None);
    assert_eq!(before.missing, 0);
    // the flag that maps the verifier's USE-003 vectors to the assertion's time field
    let row = data.rows.iter_mut().find(|r| r.message == "Assertion").unwrap();
    assert!(row.flags.remove("ClockSkew").is_some());
    let rows = matrix::build(&data).unwrap();
    let cell = rows[0].cells.iter().find(|c| c.target.key == "time/AssertionPayload.6").unwrap();
    assert_eq!(cell.cover, Cover::Missing);
    assert_eq!(matrix::counts(&rows, None).missing, 1);
}

#[test]
fn a_reason_outside_the_closed_list_or_a_cell_that_is_no_target_is_an_error() {
    let mut data = matrix::read().unwrap();
    let row = data.rows.iter_mut().find(|r| r.message == "UseRequest").unwrap();
    row.cells.get_mut("time/UseRequest.4").unwrap().reason = Some("because".into());
    assert!(matrix::build(&data).unwrap_err().contains("not in the closed list"));
    let mut data = matrix::read().unwrap();
    let row = data.rows.iter_mut().find(|r| r.message == "UseRequest").unwrap();
    let entry = row.cells.remove("time/UseRequest.4").unwrap();
    row.cells.insert("time/UseRequest.9".into(), entry);
    assert!(matrix::build(&data).unwrap_err().contains("not one of the message's targets"));
}

#[test]
fn targets_are_derived_from_the_cddl() {
    let text = std::fs::read_to_string(matrix::spec_dir().join("messages.cddl")).unwrap();
    let rules = cddl::rules(&text).unwrap();
    let keys = |message: &str| -> Vec<String> {
        targets::targets(&rules, message, &[]).unwrap().into_iter().map(|t| t.key).collect()
    };
    let assertion = keys("Assertion");
    for key in [
        "signature/Assertion",
        "chain/Assertion/wrong-eku",
        "time/Assertion/not-after",
        "time/AssertionPayload.6",
        "binding/AssertionPayload.1",
        "binding/AssertionPayload.2",
        "binding/AssertionPayload.9",
        "encoding/too-deep",
        "repetition/twice",
    ] {
        assert!(assertion.contains(&key.to_owned()), "{key} in {assertion:?}");
    }
    // the counter and the UV flag bind nothing: no binding cell
    assert!(!assertion.contains(&"binding/AssertionPayload.3".to_owned()));
    // the card's two signatures share one payload rule; the attestation chain is a certificate field
    let request = keys("IssuanceRequest");
    for key in ["signature/SignedByCardSignKey", "signature/SignedByCardAuthKey", "signature/KeyRequest.3"] {
        assert!(request.contains(&key.to_owned()), "{key} in {request:?}");
    }
    assert_eq!(request.iter().filter(|k| *k == "binding/IssuanceRequestPayload.1").count(), 1);
    // a time field added to a message is a new cell
    let grown = text.replace(
        "  3 => epoch-time,              ; thisUpdate",
        "  8 => epoch-time,\n  3 => epoch-time,              ; thisUpdate",
    );
    let grown_rules = cddl::rules(&grown).unwrap();
    let status = targets::targets(&grown_rules, "StatusResponse", &[]).unwrap();
    assert!(status.iter().any(|t| t.key == "time/StatusResponsePayload.8"));
}
