//! Every message delivered twice: for each vector file's valid messages
//! (the first of each group and endpoint), the judging role set up with the
//! group's fixture receives it, then receives the same bytes again. What
//! the second delivery must get, and that it changes nothing more, comes
//! from the spec's rule for the message ([`EXPECTATIONS`]); the state is
//! compared in the observation form, so counters, receipts, notifications
//! and sessions written twice show.

use super::{Check, CheckKind, Feature, Role, context};
use crate::vectors::format::{VectorFile, VectorGroup, VectorTest};
use crate::vectors::judge;

/// What a repeated delivery must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Again {
    /// Accepted again (the stored answer).
    Accepted,
    /// Accepted again with the very bytes answered the first time.
    SameAnswer,
    /// Refused with this registry code.
    Refused(&'static str),
    /// Either: the spec fixes only that nothing changes.
    Either,
}

/// One rule: the (role, endpoint) it is about, what the second delivery
/// gets, and the requirement that says so.
pub struct Expectation {
    /// The judging role (as vector files name it).
    pub role: &'static str,
    /// The endpoint (`None`: the role's only one).
    pub endpoint: Option<&'static str>,
    /// What the second delivery gets.
    pub again: Again,
    /// The requirement.
    pub requirement: &'static str,
}

/// The spec's rules for a message delivered twice, written from the
/// requirements named (not from what the reference does).
pub const EXPECTATIONS: [Expectation; 11] = [
    // NON-002: a consumed nonce refuses any later answer; USE-013: a refused use changes nothing
    Expectation { role: "verifier", endpoint: None, again: Again::Refused("nonce_reused"), requirement: "NON-002" },
    // STA-004: a repeated query gets the answer again without a second notification
    Expectation { role: "status", endpoint: None, again: Again::Accepted, requirement: "STA-004" },
    // STA-008: the very feed applied last, again, changes nothing
    Expectation { role: "status", endpoint: Some("feed"), again: Again::Accepted, requirement: "STA-008" },
    // ISS-006: the same key and bytes get the stored answer and change nothing
    Expectation { role: "issuer", endpoint: None, again: Again::Accepted, requirement: "ISS-006" },
    Expectation { role: "issuer", endpoint: Some("migrate"), again: Again::Accepted, requirement: "ISS-006" },
    // REV-002: the same revocation again gets the same receipt and changes nothing
    Expectation { role: "issuer", endpoint: Some("device_revocation"), again: Again::Accepted, requirement: "REV-002" },
    // INV-012: a request repeated with its idempotency key has exactly one effect
    Expectation { role: "issuer", endpoint: Some("holder_action"), again: Again::Accepted, requirement: "INV-012" },
    // REV-007: the Issuer acknowledges a command once (the second receipt's verdict is not fixed)
    Expectation { role: "issuer", endpoint: Some("acknowledge_wipe"), again: Again::Either, requirement: "REV-007" },
    // REV-007: a device answers a repeated command with the same receipt
    Expectation { role: "device", endpoint: Some("wipe_command"), again: Again::Accepted, requirement: "REV-007" },
    // ISS-010: once installed, no key is pending, so the same response again
    // certifies no pending key: refused, the credentials kept
    Expectation {
        role: "device",
        endpoint: Some("issuance_response"),
        again: Again::Refused("malformed"),
        requirement: "ISS-010",
    },
    // ISS-015: the same challenge and choice again, its keys pending: the same
    // payload, and no new keys
    Expectation {
        role: "device",
        endpoint: Some("issuance_challenge"),
        again: Again::SameAnswer,
        requirement: "ISS-015",
    },
];

/// The expectation for a test of `role` at `endpoint`.
pub fn expectation(role: &str, endpoint: Option<&str>) -> Option<&'static Expectation> {
    EXPECTATIONS.iter().find(|e| e.role == role && e.endpoint == endpoint)
}

/// Delivers `test` twice to a world set up with `group`'s fixture; `Err`
/// says what broke `expectation`.
pub fn deliver_twice(
    file: &VectorFile,
    group: &VectorGroup,
    test: &VectorTest,
    expectation: &Expectation,
) -> Result<(), (Option<String>, String)> {
    let setup = |detail: String| (None, format!("tcId {}: {detail}", test.tc_id));
    let mut world = super::served::world_with_seed(crate::vectors::VECTOR_SEED);
    let withheld = judge::prepare(&file.role, group, &mut world).map_err(setup)?;
    let input = judge::input_for(test, &withheld, &world).map_err(setup)?;
    let mut queries = 0;
    let first = judge::deliver_answer(&file.role, group, test, &mut world, &input, &mut queries).map_err(setup)?;
    let rule = Some(expectation.requirement.to_owned());
    let first = match first {
        Ok(answer) => answer,
        Err(code) => {
            let detail = format!("tcId {} ({}): refused the first time with {code}", test.tc_id, test.comment);
            return Err((rule, detail));
        }
    };
    let after_first = world.observe();
    let second = judge::deliver_answer(&file.role, group, test, &mut world, &input, &mut queries).map_err(setup)?;
    let got = match &second {
        Ok(answer) if *answer == first => "accepted, the same answer".to_owned(),
        Ok(_) => "accepted, another answer".to_owned(),
        Err(code) => format!("refused with {code}"),
    };
    let fits = match expectation.again {
        Again::Accepted => second.is_ok(),
        Again::SameAnswer => second.as_ref().is_ok_and(|answer| *answer == first),
        Again::Refused(code) => second.as_ref().err().is_some_and(|c| c.as_str() == code),
        Again::Either => true,
    };
    if !fits {
        let wanted = match expectation.again {
            Again::Accepted => "accepted again".to_owned(),
            Again::SameAnswer => "accepted again with the same answer".to_owned(),
            Again::Refused(code) => format!("refused with {code}"),
            Again::Either => "either".to_owned(),
        };
        return Err((rule, format!("tcId {} ({}) again: {wanted}, got {got}", test.tc_id, test.comment)));
    }
    if world.observe() != after_first {
        return Err((rule, format!("tcId {} ({}) again: {got}, and the state changed", test.tc_id, test.comment)));
    }
    Ok(())
}

/// The first valid test of each group and endpoint: with fixed bytes, or
/// the message the group's recipe withheld, remade for the judged wallet.
pub fn repeatable(file: &VectorFile) -> Vec<(&VectorGroup, &VectorTest)> {
    let mut out: Vec<(&VectorGroup, &VectorTest)> = Vec::new();
    let plain = |t: &&VectorTest| t.derive.is_none() || t.derive.as_deref() == Some(crate::vectors::fixtures::WITHHELD);
    for group in &file.test_groups {
        for test in group.tests.iter().filter(|t| t.result == "valid").filter(plain) {
            let seen = out.iter().any(|(g, t)| std::ptr::eq(*g, group) && t.endpoint == test.endpoint);
            if !seen && expectation(&file.role, test.endpoint.as_deref()).is_some() {
                out.push((group, test));
            }
        }
    }
    out
}

fn run_file(name: &str) {
    let path = crate::external::project_vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| context::fail("the vector file", format!("{}: {e}", path.display())));
    let file: VectorFile =
        serde_json::from_str(&text).unwrap_or_else(|e| context::fail("a vector file per schema", e.to_string()));
    let tests = repeatable(&file);
    if tests.is_empty() {
        context::fail("a valid message to repeat", format!("none in {name}"));
    }
    for (group, test) in tests {
        let Some(expectation) = expectation(&file.role, test.endpoint.as_deref()) else { continue };
        if let Err((requirement, detail)) = deliver_twice(&file, group, test, expectation) {
            let expected = "a repeated message gets what the spec says, and changes nothing more";
            match requirement {
                Some(requirement) => context::fail_on(&requirement, expected, detail),
                None => context::fail(expected, detail),
            }
        }
    }
}

/// One check per vector file whose messages have a repetition rule.
pub fn checks() -> Vec<Check> {
    type Entry = (&'static str, Role, &'static [&'static str], &'static [Feature], fn());
    let entries: [Entry; 8] = [
        ("verifier_assertion.json", Role::Verifier, &["NON-002", "USE-013"], &[Feature::Authentication], || {
            run_file("verifier_assertion.json")
        }),
        ("status_request.json", Role::Status, &["STA-004"], &[Feature::Authentication], || {
            run_file("status_request.json")
        }),
        ("status_feed.json", Role::Status, &["STA-008"], &[], || run_file("status_feed.json")),
        ("issuer_issuance_request.json", Role::Issuer, &["ISS-006", "INV-012"], &[Feature::Issuance], || {
            run_file("issuer_issuance_request.json")
        }),
        (
            "issuer_lifecycle.json",
            Role::Issuer,
            &["ISS-006", "REV-002", "INV-012", "REV-007"],
            &[Feature::MigrationOldDevice, Feature::Suspension, Feature::RemoteWipe, Feature::DeviceRevocation],
            || run_file("issuer_lifecycle.json"),
        ),
        ("device_wipe_command.json", Role::Device, &["REV-007"], &[Feature::RemoteWipe], || {
            run_file("device_wipe_command.json")
        }),
        ("device_issuance_response.json", Role::Device, &["ISS-010"], &[Feature::Issuance], || {
            run_file("device_issuance_response.json")
        }),
        ("device_issuance_challenge.json", Role::Device, &["ISS-015"], &[Feature::Issuance], || {
            run_file("device_issuance_challenge.json")
        }),
    ];
    entries
        .into_iter()
        .map(|(file, role, requirements, features, run)| {
            let id = format!("repetition::{}", file.trim_end_matches(".json").replace('_', "-"));
            Check::new(
                &id,
                "each valid message of the file delivered twice: the second delivery gets what the spec says and changes nothing more",
                role,
                CheckKind::Vector,
                requirements,
                features.to_vec(),
                run,
            )
        })
        .collect()
}
