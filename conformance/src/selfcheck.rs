//! The vector, PKI and end-to-end flow checks: external
//! vector sets, the strict-decoder table in `vectors/codec/`, and the test
//! PKI's reproducibility and chains. Each names the requirements it covers.

use jpki_reference::codec::decode_v0;
use jpki_reference::crypto::CryptoProvider;
use jpki_reference::pki::{HolderAttributes, KeyAttestation, Purpose, Sex, TestPki, validate_chain};
use jpki_reference::time::{CivilDate, DAY};
use serde::Deserialize;

use crate::checks::{Check, CheckKind, Feature, Role, context};
use crate::external::{self, Availability, SetReport};
use jpki_reference::crypto::default_provider;

/// What a vector or self-check run found.
enum Outcome {
    Report(SetReport),
    Skipped(String),
    Broken(String),
}

/// The injected clock of the self-checks: 2025-06-01T00:00:00Z.
pub const CLOCK: u64 = 1_748_736_000;
/// The seed of the self-checks' PKI.
pub const SEED: [u8; 32] = [0x4a; 32];

/// The vector, PKI and flow checks, as registry entries.
pub(crate) fn checks() -> Vec<Check> {
    use Feature::*;
    let check = |id: &str, role, kind, requirements: &[&str], features: Vec<Feature>, run: fn()| {
        Check::new(id, id, role, kind, requirements, features, run)
    };
    vec![
        Check::suite(
            "strict-decoder-table",
            "the suite's strict decoder against its table (vectors/codec/)",
            CheckKind::Vector,
            &[
                "ENC-001", "ENC-002", "ENC-003", "ENC-004", "ENC-005", "ENC-006", "ENC-007", "ENC-008", "ENC-010",
                "ENC-011", "ENC-015",
            ],
            || finish(strict_decoder_table(default_provider())),
        ),
        Check::suite(
            "status-list-table",
            "the suite's status-list reader against its table (vectors/codec/status-list.json, the draft's examples included)",
            CheckKind::Vector,
            &["STL-002", "STL-003", "ENC-005"],
            || finish(status_list_table()),
        ),
        Check::suite(
            "wycheproof-ecdsa-p256-p1363",
            "the suite's ECDSA verification against Wycheproof's P-256 (P1363) vectors",
            CheckKind::Vector,
            &["CRY-001", "COSE-005", "COSE-006", "KEY-002"],
            || finish(result(external::wycheproof::run(default_provider()))),
        ),
        Check::suite(
            "wycheproof-ecdsa-p256-der",
            "the suite's certificate-signature path (strict DER, then ES256) against Wycheproof's P-256 DER vectors",
            CheckKind::Vector,
            &["CRY-001", "PKI-001", "PKI-002", "KEY-002"],
            || finish(result(external::wycheproof::run_der(default_provider()))),
        ),
        Check::suite(
            "rfc8949-appendix-a",
            "the suite's CBOR decoder against RFC 8949 Appendix A",
            CheckKind::Vector,
            &["ENC-001", "ENC-004", "ENC-011", "ENC-014"],
            || finish(with_vectors(external::rfc8949::run)),
        ),
        Check::suite(
            "cose-wg-examples",
            "the suite's COSE_Sign1 code against the COSE WG examples",
            CheckKind::Vector,
            &["COSE-001", "COSE-002", "COSE-003", "COSE-006", "COSE-010"],
            || finish(with_vectors(|dir| external::cose_wg::run(default_provider(), dir))),
        ),
        Check::suite(
            "card-pin-counts",
            "the Card the suite plays: wrong entries counted, a key locked at its limit, a right entry resetting only its key",
            CheckKind::Scenario,
            &["PIN-001", "PIN-002", "PIN-003"],
            card_pin_counts,
        ),
        Check::suite(
            "pki-fixtures-reproducible",
            "the suite's test PKI is reproducible from its seed",
            CheckKind::Vector,
            &["PKI-011", "CRY-002"],
            || finish(fixtures_reproducible(default_provider())),
        ),
        Check::suite(
            "pki-fixture-chains",
            "the suite's test PKI chains validate under the profile",
            CheckKind::Vector,
            &["PKI-002", "PKI-003", "PKI-005", "PKI-009"],
            || finish(fixture_chains(default_provider())),
        ),
        check(
            "flow::issuance",
            Role::Issuer,
            CheckKind::Scenario,
            &["ISS-001", "ISS-007", "ISS-009", "PKI-009", "PKI-010"],
            vec![Issuance],
            || finish(flow_issuance(default_provider())),
        ),
        check(
            "flow::authentication",
            Role::Verifier,
            CheckKind::Scenario,
            &["USE-001", "USE-009", "USE-013", "STA-003", "STA-004"],
            vec![Issuance, Authentication],
            || finish(use_flow(jpki_reference::msgs::Kind::Auth)),
        ),
        check(
            "flow::signing",
            Role::Verifier,
            CheckKind::Scenario,
            &["USE-005", "USE-007", "USE-013", "STA-002", "STA-004"],
            vec![Issuance, Signing],
            || finish(use_flow(jpki_reference::msgs::Kind::Sign)),
        ),
    ]
}

/// Ends a check script with what the vector run found.
fn finish(outcome: Outcome) {
    match outcome {
        Outcome::Report(report) if report.passed() => {}
        Outcome::Report(report) => context::fail(
            format!("all {} cases as expected", report.total),
            format!("{} mismatches: {}", report.mismatches.len(), report.mismatches.join("; ")),
        ),
        Outcome::Skipped(why) => context::skip(why),
        Outcome::Broken(why) => context::fail("the flow to run as specified", why),
    }
}

fn result(r: Result<SetReport, String>) -> Outcome {
    r.map_or_else(Outcome::Broken, Outcome::Report)
}

fn with_vectors(run: impl FnOnce(&std::path::Path) -> Result<SetReport, String>) -> Outcome {
    match external::locate() {
        Ok(Availability::Present(dir)) => result(run(&dir)),
        Ok(Availability::SkipAllowed(dir)) => Outcome::Skipped(format!("{} is missing (allowed)", dir.display())),
        Err(message) => Outcome::Broken(message),
    }
}

#[derive(Deserialize)]
struct DecoderCase {
    hex: String,
    expect: String,
    code: Option<String>,
}

#[derive(Deserialize)]
struct DecoderTable {
    entries: Vec<DecoderCase>,
}

fn strict_decoder_table(_: &dyn CryptoProvider) -> Outcome {
    let path = external::project_vectors_dir().join("codec/strict-decoder.json");
    let table: DecoderTable = match external::rfc8949::read_json(&path) {
        Ok(t) => t,
        Err(e) => return Outcome::Broken(e),
    };
    let mut report = SetReport::default();
    for case in &table.entries {
        report.total += 1;
        let Ok(bytes) = hex::decode(&case.hex) else {
            report.mismatches.push(format!("{}: not hex", case.hex));
            continue;
        };
        let got = decode_v0(&bytes);
        match &got {
            Ok(_) => report.accepted += 1,
            Err(_) => report.refused += 1,
        }
        let ok = match (&got, case.expect.as_str()) {
            (Ok(_), "accept") => true,
            (Err(e), "refuse") => Some(e.code.as_str()) == case.code.as_deref(),
            _ => false,
        };
        if !ok {
            report.mismatches.push(format!(
                "{}: got {}, expected {} {}",
                case.hex,
                got.map_or_else(|e| e.code.to_string(), |_| "accept".into()),
                case.expect,
                case.code.as_deref().unwrap_or("")
            ));
        }
    }
    Outcome::Report(report)
}

#[derive(Deserialize)]
struct StatusListCase {
    comment: String,
    #[serde(rename = "maxBytes")]
    max_bytes: usize,
    cbor: String,
    expect: String,
    bits: Option<u8>,
    size: Option<u64>,
    #[serde(default)]
    statuses: std::collections::BTreeMap<u64, u8>,
    code: Option<String>,
}

#[derive(Deserialize)]
struct StatusListTable {
    entries: Vec<StatusListCase>,
}

/// One accepted list against its entry: the width, the size, every
/// non-zero entry where the table puts it and no other; then the list
/// encoded again reads the same.
fn status_list_matches(case: &StatusListCase, list: &jpki_reference::status_list::StatusList) -> Result<(), String> {
    use jpki_reference::status_list::StatusList;
    if Some(list.bits()) != case.bits || Some(list.len()) != case.size {
        return Err(format!("{} bits and {} entries", list.bits(), list.len()));
    }
    for index in 0..list.len() {
        let want = case.statuses.get(&index).copied().unwrap_or(0);
        if list.get(index) != Some(want) {
            return Err(format!("entry {index} is {:?}, not {want}", list.get(index)));
        }
    }
    let again =
        StatusList::decode(&list.encode().map_err(|e| e.to_string())?, case.max_bytes).map_err(|e| e.to_string())?;
    if again != *list {
        return Err("encoded again, it reads otherwise".into());
    }
    Ok(())
}

fn status_list_table() -> Outcome {
    let path = external::project_vectors_dir().join("codec/status-list.json");
    let table: StatusListTable = match external::rfc8949::read_json(&path) {
        Ok(t) => t,
        Err(e) => return Outcome::Broken(e),
    };
    let mut report = SetReport::default();
    for case in &table.entries {
        report.total += 1;
        let Ok(bytes) = hex::decode(&case.cbor) else {
            report.mismatches.push(format!("{}: not hex", case.comment));
            continue;
        };
        let got = jpki_reference::status_list::StatusList::decode(&bytes, case.max_bytes);
        let verdict = match (&got, case.expect.as_str()) {
            (Ok(list), "accept") => status_list_matches(case, list),
            (Err(e), "refuse") if Some(e.code.as_str()) == case.code.as_deref() => Ok(()),
            (Err(e), _) => Err(format!("refused: {e}")),
            (Ok(_), _) => Err("accepted".into()),
        };
        match &got {
            Ok(_) => report.accepted += 1,
            Err(_) => report.refused += 1,
        }
        if let Err(why) = verdict {
            report.mismatches.push(format!(
                "{}: {why}, expected {} {}",
                case.comment,
                case.expect,
                case.code.as_deref().unwrap_or("")
            ));
        }
    }
    Outcome::Report(report)
}

fn holder() -> HolderAttributes {
    HolderAttributes {
        name: "Test Holder".into(),
        address: "1-1 Chiyoda, Tokyo".into(),
        date_of_birth: CivilDate { year: 1990, month: 2, day: 28 },
        sex: Sex::NotKnown,
    }
}

/// A fixture certificate: label, DER, its root's DER, its purpose.
type FixtureCert = (&'static str, Vec<u8>, Vec<u8>, Purpose);

/// Every certificate of the fixture PKI, labelled, with its anchor and purpose.
fn fixture_certs(provider: &dyn CryptoProvider, pki: &TestPki) -> jpki_reference::Result<Vec<FixtureCert>> {
    let card = pki.card(provider, "selfcheck", &holder(), (CLOCK - DAY, CLOCK + 365 * DAY))?;
    let se_key = pki.key(provider, "selfcheck/se")?;
    let facts = KeyAttestation { in_secure_element: true, user_verification_required: true, challenge: vec![0; 32] };
    let attestation = pki.attestation(provider, "selfcheck", &se_key.public, &facts, (CLOCK - DAY, CLOCK + DAY))?;
    let verifier = pki.verifier(provider, "rp.selfcheck.example", true)?;
    Ok(vec![
        ("card sign", card.sign.cert, pki.card_root.cert.clone(), Purpose::CardSign),
        ("card auth", card.auth.cert, pki.card_root.cert.clone(), Purpose::CardAuth),
        ("status signer", pki.status_signer.cert.clone(), pki.mobile_root.cert.clone(), Purpose::StatusSigning),
        ("verifier", verifier.cert, pki.mobile_root.cert.clone(), Purpose::Verifier),
        ("key attestation", attestation, pki.platform_root.cert.clone(), Purpose::KeyAttestation),
    ])
}

fn fixtures_reproducible(provider: &dyn CryptoProvider) -> Outcome {
    let build = || -> jpki_reference::Result<Vec<Vec<u8>>> {
        let pki = TestPki::from_seed(provider, SEED, CLOCK)?;
        let mut all = vec![pki.card_root.cert.clone(), pki.mobile_root.cert.clone(), pki.platform_root.cert.clone()];
        all.extend(fixture_certs(provider, &pki)?.into_iter().map(|(_, der, _, _)| der));
        Ok(all)
    };
    let (first, second) = match (build(), build()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Outcome::Broken(e.to_string()),
    };
    let mut report = SetReport { total: first.len(), ..SetReport::default() };
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        if a == b {
            report.accepted += 1;
        } else {
            report.mismatches.push(format!("certificate {i} differs between two builds from the same seed and clock"));
        }
    }
    Outcome::Report(report)
}

fn fixture_chains(provider: &dyn CryptoProvider) -> Outcome {
    let pki = match TestPki::from_seed(provider, SEED, CLOCK) {
        Ok(p) => p,
        Err(e) => return Outcome::Broken(e.to_string()),
    };
    let certs = match fixture_certs(provider, &pki) {
        Ok(c) => c,
        Err(e) => return Outcome::Broken(e.to_string()),
    };
    let mut report = SetReport::default();
    for (label, der, root, purpose) in certs {
        let anchor = match jpki_reference::pki::TrustAnchor::from_der(provider, &root) {
            Ok(a) => a,
            Err(e) => return Outcome::Broken(e.to_string()),
        };
        report.total += 1;
        match validate_chain(provider, std::slice::from_ref(&der), &anchor, purpose, CLOCK) {
            Ok(leaf) => {
                report.accepted += 1;
                if purpose == Purpose::CardSign && leaf.holder_attributes() != Some(holder()) {
                    report.mismatches.push(format!("{label}: the four attributes do not read back"));
                }
            }
            Err(e) => report.mismatches.push(format!("{label}: refused with {e}")),
        }
        // The same certificate used for another purpose must be refused.
        let wrong = if purpose == Purpose::MobileAuth { Purpose::MobileSign } else { Purpose::MobileAuth };
        match validate_chain(provider, &[der], &anchor, wrong, CLOCK) {
            Err(e) if e.code == jpki_reference::Code::WrongPurpose => report.refused += 1,
            other => report.mismatches.push(format!("{label} as {wrong:?}: expected wrong_purpose, got {other:?}")),
        }
    }
    Outcome::Report(report)
}

/// A world with one holder and one phone, both kinds issued.
fn issued_world() -> Result<jpki_reference::world::World, String> {
    let mut world = crate::checks::served::world(0);
    world.add_holder("holder", holder()).map_err(|e| e.to_string())?;
    world.add_device("phone");
    world.issue("holder", "phone", &jpki_reference::world::IssueParams::both(1)).map_err(|e| e.error.to_string())?;
    Ok(world)
}

fn flow_issuance(provider: &dyn CryptoProvider) -> Outcome {
    use jpki_reference::msgs::{Kind, Message, issuance::IssuanceResponse};
    let mut world = crate::checks::served::world(0);
    if let Err(e) = world.add_holder("holder", holder()) {
        return Outcome::Broken(e.to_string());
    }
    world.add_device("phone");
    let mut report = SetReport::default();
    // ISS-001: a well-formed, card-signed request is accepted
    context::step("ISS-001");
    let response = match world.issue("holder", "phone", &jpki_reference::world::IssueParams::both(1)) {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Broken(format!("issuance refused: {}", e.error)),
    };
    let Ok(response) = IssuanceResponse::from_bytes(&response) else {
        return Outcome::Broken("issuance response does not decode".into());
    };
    let anchor = match world.pki().mobile_root.anchor(provider) {
        Ok(a) => a,
        Err(e) => return Outcome::Broken(e.to_string()),
    };
    // ISS-007: each certificate chains to the mobile root for its kind; PKI-009 its attributes
    context::step("ISS-007");
    for issued in &response.certs {
        report.total += 1;
        let purpose = if issued.kind == Kind::Sign { Purpose::MobileSign } else { Purpose::MobileAuth };
        match validate_chain(provider, std::slice::from_ref(&issued.cert), &anchor, purpose, world.now()) {
            Ok(leaf) => {
                report.accepted += 1;
                let attributes = leaf.holder_attributes();
                if (issued.kind == Kind::Sign) != (attributes == Some(holder())) {
                    report.mismatches.push(format!("{:?} certificate: wrong subject attributes", issued.kind));
                }
            }
            Err(e) => report.mismatches.push(format!("{:?} certificate refused: {e}", issued.kind)),
        }
    }
    if report.mismatches.is_empty() {
        context::step("ISS-009");
    }
    if world.notifications().len() != 1 {
        report.mismatches.push(format!("{} notifications after one issuance", world.notifications().len()));
    }
    Outcome::Report(report)
}

fn use_flow(kind: jpki_reference::msgs::Kind) -> Outcome {
    use jpki_reference::world::{GOV_RP, SHOP_RP};
    let mut world = match issued_world() {
        Ok(w) => w,
        Err(e) => return Outcome::Broken(e),
    };
    let mut report = SetReport::default();
    // USE-013: a valid use with a fresh `good` is accepted
    context::step("USE-013");
    let attempts: Vec<(&str, Result<_, _>)> = match kind {
        jpki_reference::msgs::Kind::Auth => {
            vec![(SHOP_RP, world.authenticate("phone", SHOP_RP)), (GOV_RP, world.authenticate("phone", GOV_RP))]
        }
        jpki_reference::msgs::Kind::Sign => vec![(GOV_RP, world.sign("phone", GOV_RP, b"document"))],
    };
    for (rp, result) in attempts {
        report.total += 1;
        match result {
            Ok(_) => report.accepted += 1,
            Err(e) => report.mismatches.push(format!("use at {rp} refused: {}", e.error)),
        }
    }
    if kind == jpki_reference::msgs::Kind::Sign {
        // an rp not authorised for sign status must be refused
        if report.mismatches.is_empty() {
            context::step("STA-002");
        }
        report.total += 1;
        match world.sign("phone", SHOP_RP, b"document") {
            Err(e) if e.code() == jpki_reference::Code::NotAuthorised && e.unchanged => report.refused += 1,
            other => report
                .mismatches
                .push(format!("sign at {SHOP_RP}: expected not_authorised, got {:?}", other.err().map(|e| e.code()))),
        }
    }
    let used = world.notifications().iter().filter(|n| n.event == jpki_reference::notify::Event::Used).count();
    if report.mismatches.is_empty() {
        context::step("STA-004");
    }
    if used != report.accepted {
        report.mismatches.push(format!("{used} use notifications for {} accepted uses", report.accepted));
    }
    Outcome::Report(report)
}

/// The Card the suite plays, against PIN-001 … PIN-003: the expectations
/// are the rules' words, the counts read from the card's state.
fn card_pin_counts() {
    use jpki_reference::Code;
    use jpki_reference::card::{CardConfig, CardKey, CardState, sign};
    use jpki_reference::constants::{AUTH_PIN_TRIES, SIGN_PASSWORD_TRIES};
    let provider = default_provider();
    fn setup<T>(what: &str, e: jpki_reference::Error) -> T {
        context::fail(what.to_owned(), e.to_string())
    }
    let pki = TestPki::from_seed(provider, SEED, CLOCK).unwrap_or_else(|e| setup("the test PKI", e));
    let attributes = HolderAttributes {
        name: "SUITE TARO".into(),
        date_of_birth: CivilDate { year: 1990, month: 4, day: 1 },
        sex: Sex::Male,
        address: "TOKYO".into(),
    };
    let card = pki
        .card(provider, "pin-check", &attributes, (CLOCK - DAY, CLOCK + 3650 * DAY))
        .unwrap_or_else(|e| setup("a card", e));
    let (password, pin) = ("SUITE1", "4321");
    let config = CardConfig::new(card.sign, card.auth, password, pin).unwrap_or_else(|e| setup("the card", e));
    let mut state = CardState::default();
    let enter = |state: &mut CardState, key: CardKey, secret: &str| {
        let (next, result) = sign(provider, &config, state, key, secret, b"challenge");
        *state = next;
        (result.err().map(|e| e.code), state.clone())
    };
    let counts = |s: &CardState| (s.sign_failures, s.auth_failures);
    // PIN-001: a wrong entry, whatever its format, moves its own count by one
    context::step("PIN-001");
    for (key, wrong, after) in
        [(CardKey::Auth, "0000", (0, 1)), (CardKey::Auth, "not a pin", (0, 2)), (CardKey::Sign, "WRONG1", (1, 2))]
    {
        let (code, now) = enter(&mut state, key, wrong);
        if code != Some(Code::PinWrong) || counts(&now) != after {
            context::fail_on(
                "PIN-001",
                format!("{wrong:?}: pin_wrong, counts {after:?}"),
                format!("{code:?}, counts {:?}", counts(&now)),
            );
        }
    }
    // PIN-003: a right entry resets its own count only
    context::step("PIN-003");
    let (code, now) = enter(&mut state, CardKey::Auth, pin);
    if code.is_some() || counts(&now) != (1, 0) {
        context::fail_on(
            "PIN-003",
            "the right PIN signs, counts (1, 0)",
            format!("{code:?}, counts {:?}", counts(&now)),
        );
    }
    // PIN-002: at the limit, even the right entry is refused and nothing moves
    context::step("PIN-002");
    for (key, wrong, right, limit) in
        [(CardKey::Sign, "WRONG1", password, SIGN_PASSWORD_TRIES), (CardKey::Auth, "0000", pin, AUTH_PIN_TRIES)]
    {
        let already = match key {
            CardKey::Sign => state.sign_failures,
            CardKey::Auth => state.auth_failures,
        };
        for _ in already..limit {
            enter(&mut state, key, wrong);
        }
        let before = counts(&state);
        for secret in [right, wrong] {
            let (code, now) = enter(&mut state, key, secret);
            if code != Some(Code::PinLocked) || counts(&now) != before {
                context::fail_on(
                    "PIN-002",
                    format!("{key:?} at its limit {limit}: pin_locked for {secret:?}, counts {before:?}"),
                    format!("{code:?}, counts {:?}", counts(&now)),
                );
            }
        }
    }
}
