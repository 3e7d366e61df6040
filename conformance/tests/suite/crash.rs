//! Crash safety (issue "nothing lost"): for every failpoint of the server
//! (server/src/failpoint.rs: before and after the commit of each writing
//! step, of the card-event control, and around the hand-over of each
//! e-mail), a `serve` child on a data folder runs a whole life until it
//! announces the failpoint, is killed there with SIGKILL, and is started
//! again on the same folder. Then: every answered change is still there, a
//! change the crash cut off is there whole or not at all, the invariants
//! hold (one device per holder and kind, no half-done migration, Status as
//! the registry, every notification backed by its record), every
//! notification reaches the SMTP server with its Message-ID, more than once
//! only for the one the crash caught between the server's acceptance and
//! the delivered-mark, and the audit chain verifies. A failpoint the life
//! never reaches fails the test: no crash test passes without its crash.
//! And `verify-audit` on a served log: intact, then an edited and a
//! deleted row each named.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use ciborium::Value;
use jpki_bindings::http::roles::{HttpBinding, control_map};
use jpki_conformance::checks::context::{self, Sut};
use jpki_conformance::checks::served::Served as ServedRoles;
use jpki_conformance::walkthrough::expected_message_id as message_id;
use jpki_reference::http::Endpoint;
use jpki_reference::invariants;
use jpki_reference::issuer::CardEvent;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::{CertStatus, RevocationReason};
use jpki_reference::observation::WorldObservation;
use jpki_reference::time::UnixTime;
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, World};
use jpki_server::client::Client;
use jpki_server::failpoint;
use jpki_server::mail::sink::SmtpSink;

use crate::live::{LiveServer, fresh_folder, holder, verify_audit};

const SEED: [u8; 32] = [0x5c; 32];

thread_local! {
    /// The world as the last answered step left it.
    static ANSWERED: RefCell<Option<WorldObservation>> = const { RefCell::new(None) };
}

fn remember(_: &WorldObservation, _: UnixTime, after: &WorldObservation, _: UnixTime) {
    ANSWERED.with(|a| *a.borrow_mut() = Some(after.clone()));
}

/// A world whose Issuer, Status and verifiers are the server at `url`,
/// reset, feeding its own Status (no suite Status between them).
fn world_on(url: &str) -> World {
    context::enter(Sut::Http { url: url.to_owned(), mutation: None }, SEED);
    let binding = HttpBinding::start(url, &SEED, None);
    let own_status = control_map(vec![("url", Value::Null)]);
    let answer = Client::new().post(&format!("{url}/jpki/test/status-address"), &own_status, None).unwrap();
    assert_eq!(answer.status, 200, "status-address null");
    let mut world = World::with_factory_trusting(SEED, None, Box::new(ServedRoles(Box::new(binding))), &[]).unwrap();
    world.observe_steps(remember);
    world
}

/// A whole life that passes every failpoint: issue, use (authenticate and
/// sign), migrate, the old phone's wipe, hold and lift, a revocation from
/// the device, and a card revocation at J-LIS.
fn life(w: &mut World) {
    w.issue("ichiro", "old phone", &IssueParams::both(1)).unwrap();
    w.authenticate("old phone", GOV_RP).unwrap();
    w.sign("old phone", GOV_RP, b"a lease").unwrap();
    w.migrate_with_old_device("old phone", "new phone", &LifecycleParams::with_key(2)).unwrap();
    w.sync_device("old phone").unwrap();
    w.holder_action("ichiro", HolderAction::Suspend, &LifecycleParams::with_key(3)).unwrap();
    w.holder_action("ichiro", HolderAction::Resume, &LifecycleParams::with_key(4)).unwrap();
    w.authenticate("new phone", GOV_RP).unwrap();
    w.revoke_from_device("new phone", RevocationReason::HolderRequest, &LifecycleParams::with_key(5)).unwrap();
    // the last issuance carries a qualification mdoc, read once (spec/qualification.md)
    w.issue("ichiro", "old phone", &IssueParams { qualification: 1, ..IssueParams::both(6) }).unwrap();
    let request = w.mdoc_request(GOV_RP, &["qualified"]).unwrap();
    let uv = jpki_reference::device::UserVerification::BIOMETRIC;
    let presentation = w.present_mdoc("old phone", &request, &["qualified"], uv).unwrap();
    w.verify_mdoc(GOV_RP, &presentation).unwrap();
    w.card_event("ichiro", CardEvent::AuthRevoked).unwrap();
}

/// What the crashed step may have left: at a failpoint before its commit
/// nothing of it (Status's own completed answer aside, STA-009); after it,
/// all of it.
fn judge_the_cut(point: &str, answered: &WorldObservation, now: &WorldObservation) -> Result<(), String> {
    let same_issuer = now.issuer == answered.issuer;
    let same_status = now.status == answered.status;
    let same_verifiers = now.verifiers == answered.verifiers;
    let step = point.split_once(':').map_or("", |(_, step)| step);
    let step = if step == Endpoint::MdocVerify.step() { Endpoint::UseVerify.step() } else { step };
    let step = if step == Endpoint::MdocRequest.step() { Endpoint::UseRequest.step() } else { step };
    let verify = Endpoint::UseVerify.step();
    let query = Endpoint::StatusQuery.step();
    if step == Endpoint::StatusFeed.step() {
        // Status takes the feed inside the Issuer step that made it, after
        // that step's commit; the delivery worker sends it again after the
        // restart (HTTP-011), racing this look: `kept` and the invariants judge it
        return Ok(());
    }
    if point.starts_with("before-commit:") {
        // a verify's Status answer completed before the verifier's commit (STA-009)
        let untouched = same_issuer && same_verifiers && (same_status || step == verify);
        return if untouched { Ok(()) } else { Err(format!("{point}: the uncommitted step left changes")) };
    }
    if point.starts_with("after-commit:") {
        let changed = if step == query {
            now.status.usage_log.len() > answered.status.usage_log.len()
        } else if step == verify || step == Endpoint::UseRequest.step() {
            !same_verifiers
        } else {
            !same_issuer
        };
        return if changed { Ok(()) } else { Err(format!("{point}: the committed step is missing")) };
    }
    // a mail failpoint stops the delivery worker, and the kill then lands
    // wherever the life's steps are: the step in flight is judged by what
    // every crash must keep (`kept`) and by the invariants
    Ok(())
}

/// Every answered change is still there: nothing the answered world had
/// is gone (certificates, their revocations, notifications, Status entries,
/// usage, accepted uses).
fn kept(answered: &WorldObservation, now: &WorldObservation) -> Result<(), String> {
    for (serial, cert) in &answered.issuer.certs {
        let Some(found) = now.issuer.certs.get(serial) else { return Err("an answered certificate is gone".into()) };
        if matches!(cert.status, CertStatus::Revoked { .. }) && found.status != cert.status {
            return Err("an answered revocation changed".into());
        }
    }
    let notes = |o: &WorldObservation| -> Vec<Vec<u8>> {
        o.issuer.outbox.iter().chain(&o.status.outbox).map(|n| n.key.clone()).collect()
    };
    let have = notes(now);
    if notes(answered).iter().any(|key| !have.contains(key)) {
        return Err("an answered notification is gone".into());
    }
    if answered.status.entries.keys().any(|serial| !now.status.entries.contains_key(serial)) {
        return Err("an answered Status entry is gone".into());
    }
    if now.status.usage_log.len() < answered.status.usage_log.len() {
        return Err("an answered use left Status's log".into());
    }
    for (rp, verifier) in &answered.verifiers {
        let found = &now.verifiers[rp];
        if verifier.counters.iter().any(|(serial, counter)| found.counters.get(serial).is_none_or(|c| c < counter)) {
            return Err(format!("{rp}: an accepted use's counter went back"));
        }
    }
    Ok(())
}

/// Waits until every notification of `now` reached the sink (and, with
/// `repeat`, until one came twice: the e-mail the crash caught between
/// acceptance and mark is sent again after the restart, maybe after every
/// other already arrived); then the Message-IDs seen more than once.
fn delivered(sink: &SmtpSink, now: &WorldObservation, repeat: bool) -> Result<Vec<String>, String> {
    let expected: Vec<String> =
        now.issuer.outbox.iter().chain(&now.status.outbox).map(|n| message_id(&n.key)).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for message in sink.received() {
            *counts.entry(message.header("Message-ID").unwrap_or_default()).or_default() += 1;
        }
        if let Some(stranger) = counts.keys().find(|id| !expected.contains(id)) {
            return Err(format!("NTF-002: an e-mail whose Message-ID no notification explains: {stranger}"));
        }
        if expected.iter().all(|id| counts.contains_key(id)) && (!repeat || counts.values().any(|n| *n > 1)) {
            return Ok(counts.into_iter().filter(|(_, n)| *n > 1).map(|(id, n)| format!("{id} ×{n}")).collect());
        }
        if Instant::now() > deadline {
            let missing = expected.iter().filter(|id| !counts.contains_key(*id)).count();
            if missing == 0 {
                return Err("NTF-003: the e-mail the crash caught before its mark was not sent again".into());
            }
            return Err(format!(
                "NTF-003: {missing} of {} notifications never reached the SMTP server",
                expected.len()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One crash at `point`, the records in the data folder or, with `store`,
/// in that PostgreSQL database; what went wrong, if anything.
fn crash_at(point: &str, store: Option<&str>) -> Result<(), String> {
    let data = fresh_folder(&format!("crash-{}", point.replace(':', "-")));
    let sink = SmtpSink::start().unwrap();
    let relay = sink.relay();
    let mut args = vec!["--smtp", &relay];
    if let Some(url) = store {
        args.extend(["--store", url]);
    }
    let server = LiveServer::start(&data, "127.0.0.1:0", &[args.as_slice(), &["--failpoint", point]].concat());
    let (url, listen) = (server.url.clone(), server.listen());
    let mut world = world_on(&url);
    world.add_holder("ichiro", holder()).unwrap();
    world.add_device("old phone");
    world.add_device("new phone");
    world.set_online("old phone", true);
    // the card registered, no step yet: what a crash at the first step must keep
    let start = world.observe();
    ANSWERED.with(|a| *a.borrow_mut() = Some(start));
    let ran = std::panic::catch_unwind(AssertUnwindSafe(|| life(&mut world)));
    let Some(reached) = server.reached(Duration::from_secs(10)) else {
        return Err(format!("{point}: never reached (the life ended {})", if ran.is_ok() { "whole" } else { "early" }));
    };
    assert_eq!(reached, point);
    server.kill();
    let answered = ANSWERED.with(|a| a.borrow().clone()).ok_or(format!("{point}: no step was answered"))?;

    // the same folder, the same port, no failpoint
    let server = LiveServer::start(&data, &listen, &args);
    let now = world.observe();
    judge_the_cut(point, &answered, &now)?;
    kept(&answered, &now)?;
    // a feed the crash kept from Status goes out from the delivery worker: wait for it
    let deadline = Instant::now() + Duration::from_secs(10);
    let (now, violations) = loop {
        let now = world.observe();
        let violations = invariants::check(&now);
        if violations.is_empty() || Instant::now() > deadline {
            break (now, violations);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !violations.is_empty() {
        return Err(format!("{point}: invariants after the restart: {violations:?}"));
    }
    // a crash catches at most one e-mail between the SMTP server's
    // acceptance and the delivered-mark; the mail:after-accept crash always does
    let must_repeat = point == failpoint::MAIL_AFTER_ACCEPT;
    let repeated = delivered(&sink, &now, must_repeat).map_err(|e| format!("{point}: {e}"))?;
    if repeated.len() > 1 || (must_repeat && repeated.is_empty()) {
        return Err(format!("{point}: NTF-003: e-mails sent more than once: {repeated:?}"));
    }
    server.kill();
    let (intact, said) = verify_audit(&data, store);
    if !intact {
        return Err(format!("{point}: verify-audit after the restart: {said}"));
    }
    Ok(())
}

/// The crash at every failpoint, each on the store `store` gives it.
pub fn at_every_failpoint(store: impl Fn(&str) -> Option<String>) {
    let points = failpoint::all();
    assert!(points.len() >= 26, "{points:?}");
    let failures: Vec<String> =
        points.iter().filter_map(|point| crash_at(point, store(point).as_deref()).err()).collect();
    assert!(failures.is_empty(), "{} of {} failpoints:\n{}", failures.len(), points.len(), failures.join("\n"));
}

#[test]
fn a_server_killed_at_every_failpoint_restarts_with_nothing_lost() {
    at_every_failpoint(|_| None);
}

/// A copy of the data folder `from` at `to` (the store and its WAL).
fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn verify_audit_names_an_edited_and_a_deleted_row_of_a_served_log() {
    // a served life's log, then the `verify-audit` command on it and on two tampered copies
    let data = fresh_folder("audit-cli");
    let server = LiveServer::start(&data, "127.0.0.1:0", &[]);
    let mut world = world_on(&server.url);
    world.add_holder("ichiro", holder()).unwrap();
    world.add_device("old phone");
    world.issue("ichiro", "old phone", &IssueParams::both(1)).unwrap();
    world.authenticate("old phone", GOV_RP).unwrap();
    server.kill();
    let (intact, said) = verify_audit(&data, None);
    assert!(intact && said.contains("intact"), "{said}");
    let rows = |folder: &std::path::Path| -> u64 {
        let mut store = jpki_server::store::Store::open(&folder.join("jpki.sqlite3")).unwrap();
        store.write(|tx| jpki_server::store::count(tx, "SELECT COUNT(*) FROM audit", &[])).unwrap()
    };
    assert!(rows(&data) >= 4, "a challenge, an issuance, a use request, a verify");
    for (name, tamper) in [
        ("edited", "UPDATE audit SET outcome = 'nonce_unknown' WHERE seq = 2"),
        ("deleted", "DELETE FROM audit WHERE seq = 2"),
    ] {
        let copy = fresh_folder(&format!("audit-cli-{name}"));
        copy_folder(&data, &copy);
        let mut store = jpki_server::store::Store::open(&copy.join("jpki.sqlite3")).unwrap();
        store.write(|tx| tx.execute(tamper, &[])).unwrap();
        drop(store);
        let (intact, said) = verify_audit(&copy, None);
        assert!(!intact && said.contains("broken at row"), "{name}: {said}");
    }
}
