//! The servers on PostgreSQL (issue "beyond one machine"): the HTTP
//! profiles, the crash tests and the audit log on a PostgreSQL store, and
//! several `serve` instances on one database racing each other: HTTP-012,
//! instances sharing their records behave as one server.
//!
//! These tests need a PostgreSQL server. `.ci/postgres` starts one (Debian's
//! package, installed when absent) and prints its address; `.ci/run` hands
//! it over as `JPKI_TEST_POSTGRES` and runs them with `--ignored postgres_`.
//! Under the README's plain `cargo test` they are listed as ignored, with
//! that reason. With the variable unset, or set and the server unreachable,
//! each fails saying so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use ciborium::Value;
use jpki_bindings::http::roles::{HttpBinding, control_map};
use jpki_conformance::checks::context::{self, Sut};
use jpki_conformance::checks::served::Served as ServedRoles;
use jpki_conformance::walkthrough::expected_message_id as message_id;
use jpki_reference::device::UserVerification;
use jpki_reference::http::Endpoint;
use jpki_reference::invariants;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::status::{CertStatus, RevocationReason};
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::observation::WorldObservation;
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, WORLD_START, World};
use jpki_server::client::{Client, Received, fresh_key};
use jpki_server::mail::sink::SmtpSink;
use jpki_server::store::{Backend, Store, schema};
use jpki_server::{ServeConfig, start};

use crate::live::{LiveServer, fresh_folder};

/// Where the tests find PostgreSQL.
pub const VAR: &str = "JPKI_TEST_POSTGRES";

/// A fresh, empty database `jpki_NAME` on the test server; its URL.
pub fn fresh_database(name: &str) -> String {
    let url = std::env::var(VAR).unwrap_or_else(|_| {
        panic!("{VAR} is unset: start PostgreSQL with `export {VAR}=\"$(.ci/postgres)\"` (Debian's package)")
    });
    let shown = jpki_server::store::redact(&url);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("{VAR}={shown}: PostgreSQL cannot be reached: {e}"));
    let database = format!("jpki_{}", name.replace(['-', ':'], "_"));
    for statement in [format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"), format!("CREATE DATABASE {database}")]
    {
        admin
            .batch_execute(&statement)
            .unwrap_or_else(|e| panic!("{VAR}={shown}: {statement}: {}", jpki_server::store::sql::describe(&e)));
    }
    // the tests kill servers, never PostgreSQL: a commit in its memory
    // survives them, so it need not wait for the disk
    let quick = format!("ALTER DATABASE {database} SET synchronous_commit = off");
    admin.batch_execute(&quick).unwrap_or_else(|e| panic!("{quick}: {}", jpki_server::store::sql::describe(&e)));
    let base = url.split('?').next().unwrap_or(&url);
    let slash = base.rfind('/').filter(|&i| i > "postgres://".len()).unwrap_or(base.len());
    format!("{}/{database}", &base[..slash])
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_serve_passes_the_issuer_status_and_verifier_profiles_over_http() {
    // as the SQLite test in http.rs: two servers, half of the checks each, each on its own database
    let servers: Vec<_> = ["profiles_a", "profiles_b"]
        .iter()
        .map(|name| start(ServeConfig { store: Some(fresh_database(name)), ..ServeConfig::for_tests() }).unwrap())
        .collect();
    crate::http::profiles_pass_over(&servers.iter().map(jpki_server::Running::url).collect::<Vec<_>>());
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_a_server_killed_at_every_failpoint_restarts_with_nothing_lost() {
    crate::crash::at_every_failpoint(|point| Some(fresh_database(&format!("crash_{point}"))));
}

const SEED: [u8; 32] = [0x6d; 32];

/// Two `serve` processes on one fresh database `name`, both with every role
/// and the test controls, and a world on the first whose Status is its own
/// (the database's); the second set up from the same seed, keeping the
/// records. `extra` goes to both (say, `--smtp`).
fn two_instances(name: &str, extra: &[&str]) -> (LiveServer, LiveServer, World) {
    let url = fresh_database(name);
    let args = [&["--store", url.as_str()], extra].concat();
    let first = LiveServer::start(&fresh_folder(&format!("{name}-1")), "127.0.0.1:0", &args);
    let second = LiveServer::start(&fresh_folder(&format!("{name}-2")), "127.0.0.1:0", &args);
    context::enter(Sut::Http { url: first.url.clone(), mutation: None }, SEED);
    let binding = HttpBinding::start(&first.url, &SEED, None);
    let own_status = control_map(vec![("url", Value::Null)]);
    let answer = Client::new().post(&format!("{}/jpki/test/status-address", first.url), &own_status, None).unwrap();
    assert_eq!(answer.status, 200, "status-address null");
    // the second instance: the same roles, the records kept (and its clock the store's)
    let reset = control_map(vec![
        ("seed", Value::Bytes(SEED.to_vec())),
        ("clock", Value::Integer(WORLD_START.into())),
        ("keep", Value::Bool(true)),
    ]);
    let answer = Client::new().post(&format!("{}/jpki/test/reset", second.url), &reset, None).unwrap();
    assert_eq!(answer.status, 200, "reset keeping the records: {:?}", answer.body);
    let world = World::with_factory_trusting(SEED, None, Box::new(ServedRoles(Box::new(binding))), &[]).unwrap();
    (first, second, world)
}

/// Sends each (URL, body, key) at once, each from its own thread; the answers in order.
fn race(requests: Vec<(String, Vec<u8>, [u8; 16])>) -> Vec<Received> {
    let start = Barrier::new(requests.len());
    std::thread::scope(|scope| {
        let sent: Vec<_> = requests
            .iter()
            .map(|(url, body, key)| {
                let start = &start;
                scope.spawn(move || {
                    let client = Client::new();
                    start.wait();
                    client.post(url, body, Some(key)).unwrap()
                })
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    })
}

/// The registry code of a refusal's body (`ok` for a 200).
fn code_of(answer: &Received) -> String {
    if answer.status == 200 {
        return "ok".into();
    }
    ErrorMessage::from_bytes(&answer.body).map_or_else(|e| format!("undecodable ({e})"), |m| m.code.as_str().to_owned())
}

fn active_devices(observation: &WorldObservation, holder: &[u8]) -> BTreeSet<[u8; 32]> {
    observation
        .issuer
        .certs
        .values()
        .filter(|c| c.holder == holder && c.status == CertStatus::Good)
        .map(|c| c.device)
        .collect()
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_two_instances_racing_migrations_for_one_holder_let_exactly_one_win() {
    // MIG-004: the first to commit wins; the other is refused with
    // migration_conflict and changes nothing. Each round a new holder, whose
    // two new phones send their intents to the two instances at once.
    let (first, second, mut world) = two_instances("race_migration", &[]);
    let migrate = Endpoint::Migrate.path("");
    for round in 0..4u8 {
        let (holder, old) = (format!("holder{round}"), format!("old{round}"));
        let (new_a, new_b) = (format!("newA{round}"), format!("newB{round}"));
        world.add_holder(&holder, crate::live::holder()).unwrap();
        for device in [&old, &new_a, &new_b] {
            world.add_device(device);
        }
        world.issue(&holder, &old, &IssueParams::both(10 * round + 1)).unwrap();
        let before = world.observe();
        let intent_a = world.migration_intent(&old, &new_a, &LifecycleParams::with_key(10 * round + 2)).unwrap();
        let intent_b = world.migration_intent(&old, &new_b, &LifecycleParams::with_key(10 * round + 3)).unwrap();
        let answers = race(vec![
            (format!("{}{migrate}", first.url), intent_a, fresh_key()),
            (format!("{}{migrate}", second.url), intent_b, fresh_key()),
        ]);
        let won: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
        let lost: Vec<_> = answers.iter().filter(|a| a.status != 200).collect();
        let said: Vec<String> = answers.iter().map(|a| format!("{} {}", a.status, code_of(a))).collect();
        assert_eq!(won.len(), 1, "round {round}: HTTP-012, MIG-004: exactly one migration commits: {said:?}");
        assert_eq!(
            (lost[0].status, code_of(lost[0]).as_str()),
            (409, "migration_conflict"),
            "round {round}: MIG-004: the other is refused"
        );
        let after = world.observe();
        let holder_id = before.issuer.certs.values().find(|c| c.status == CertStatus::Good).unwrap().holder.clone();
        // the winner's two certificates, and nothing of the loser's
        assert_eq!(
            after.issuer.certs.len(),
            before.issuer.certs.len() + 2,
            "round {round}: one migration's certificates"
        );
        assert_eq!(active_devices(&after, &holder_id).len(), 1, "round {round}: INV: one device per holder");
        let violations = invariants::check(&after);
        assert!(violations.is_empty(), "round {round}: {violations:?}");
    }
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_one_idempotency_key_sent_to_two_instances_has_one_effect() {
    // HTTP-008 across instances: one request, one key, sent to both at once;
    // both answers are the one answer, and one issuance happened
    let (first, second, mut world) = two_instances("race_idempotency", &[]);
    let issue = Endpoint::Issue.path("");
    for round in 0..4u8 {
        let (holder, phone) = (format!("holder{round}"), format!("phone{round}"));
        world.add_holder(&holder, crate::live::holder()).unwrap();
        world.add_device(&phone);
        let before = world.observe();
        let challenge = world.issuance_challenge().unwrap();
        let request = world.issuance_request(&holder, &phone, &challenge, &IssueParams::both(round + 1)).unwrap();
        let key = fresh_key();
        let answers = race(vec![
            (format!("{}{issue}", first.url), request.clone(), key),
            (format!("{}{issue}", second.url), request, key),
        ]);
        assert_eq!(answers[0].status, 200, "round {round}: {:?}", code_of(&answers[0]));
        assert!(
            answers[0].status == answers[1].status && answers[0].body == answers[1].body,
            "round {round}: HTTP-012, HTTP-008: the same request under the same key gets the one answer, not two ({} and {})",
            answers[0].status,
            answers[1].status
        );
        let after = world.observe();
        assert_eq!(after.issuer.certs.len(), before.issuer.certs.len() + 2, "round {round}: one issuance");
        assert_eq!(after.issuer.outbox.len(), before.issuer.outbox.len() + 1, "round {round}: one notification");
        let violations = invariants::check(&after);
        assert!(violations.is_empty(), "round {round}: {violations:?}");
    }
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_a_revocation_racing_a_use_on_another_instance_is_one_or_the_other() {
    // the revocation (a device revocation at the first instance) and a use
    // (the assertion checked by the second) at once: the revocation is
    // answered; the use is accepted only if Status answered before the
    // revocation committed, else refused as revoked (STA-009); the records
    // agree either way
    let (first, second, mut world) = two_instances("race_revocation", &[]);
    let revoke = Endpoint::DeviceRevocation.path("");
    let verify = Endpoint::UseVerify.path(GOV_RP);
    let mut outcomes = BTreeMap::new();
    for round in 0..6u8 {
        let (holder, phone) = (format!("holder{round}"), format!("phone{round}"));
        world.add_holder(&holder, crate::live::holder()).unwrap();
        world.add_device(&phone);
        world.issue(&holder, &phone, &IssueParams::both(10 * round + 1)).unwrap();
        let request = world.use_request(GOV_RP, Kind::Auth, "log in", None).unwrap();
        let assertion = world.assertion(&phone, &request, UserVerification::BIOMETRIC).unwrap();
        let revocation = world
            .device_revocation_request(
                &phone,
                RevocationReason::HolderRequest,
                &LifecycleParams::with_key(10 * round + 2),
            )
            .unwrap();
        let answers = race(vec![
            (format!("{}{revoke}", first.url), revocation, fresh_key()),
            (format!("{}{verify}", second.url), assertion, fresh_key()),
        ]);
        assert_eq!(answers[0].status, 200, "round {round}: the revocation: {}", code_of(&answers[0]));
        let use_outcome = if answers[1].status == 200 { "accepted".to_owned() } else { code_of(&answers[1]) };
        assert!(["accepted", "cert_revoked"].contains(&use_outcome.as_str()), "round {round}: the use: {use_outcome}");
        *outcomes.entry(use_outcome).or_insert(0) += 1;
        let violations = invariants::check(&world.observe());
        assert!(violations.is_empty(), "round {round}: {violations:?}");
    }
    eprintln!("a use racing a revocation, over 6 rounds: {outcomes:?}");
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_every_instance_delivers_and_each_notification_arrives_once() {
    // NTF-003 with a delivery worker in each of two instances on one outbox:
    // every notification reaches the SMTP server with its Message-ID
    // (NTF-002), and none twice (no crash here)
    let sink = SmtpSink::start().unwrap();
    let relay = sink.relay();
    let (_first, _second, mut world) = two_instances("race_delivery", &["--smtp", &relay]);
    for round in 0..4u8 {
        let (holder, phone, next) = (format!("holder{round}"), format!("phone{round}"), format!("next{round}"));
        world.add_holder(&holder, crate::live::holder()).unwrap();
        world.add_device(&phone);
        world.add_device(&next);
        world.issue(&holder, &phone, &IssueParams::both(10 * round + 1)).unwrap();
        world.authenticate(&phone, GOV_RP).unwrap();
        world.sign(&phone, GOV_RP, b"a lease").unwrap();
        world.migrate_with_old_device(&phone, &next, &LifecycleParams::with_key(10 * round + 2)).unwrap();
    }
    let now = world.observe();
    let expected: Vec<String> =
        now.issuer.outbox.iter().chain(&now.status.outbox).map(|n| message_id(&n.key)).collect();
    assert!(expected.len() >= 16, "{} notifications", expected.len());
    let deadline = Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for message in sink.received() {
            *counts.entry(message.header("Message-ID").unwrap_or_default()).or_default() += 1;
        }
        if expected.iter().all(|id| counts.contains_key(id)) || Instant::now() > deadline {
            // a second look after a pause: a duplicate sent late is seen too
            std::thread::sleep(Duration::from_millis(500));
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for message in sink.received() {
                *counts.entry(message.header("Message-ID").unwrap_or_default()).or_default() += 1;
            }
            break counts;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let missing: Vec<_> = expected.iter().filter(|id| !counts.contains_key(*id)).collect();
    assert!(missing.is_empty(), "NTF-003: {} of {} never arrived", missing.len(), expected.len());
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "HTTP-012, NTF-003: sent more than once without a crash: {twice:?}");
    assert!(counts.keys().all(|id| expected.contains(id)), "NTF-002: an e-mail no notification explains");
}

#[test]
#[ignore = "needs PostgreSQL: export JPKI_TEST_POSTGRES=\"$(.ci/postgres)\", then --ignored postgres_"]
fn postgres_schema_has_the_tables_columns_and_indexes_of_sqlite() {
    // (PostgreSQL's own two: its version, and the empty table whose lock queues the writing steps)
    let sqlite_tables = "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2";
    let sqlite_indexes = "SELECT name, '' FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'
                          ORDER BY 1";
    let postgres_tables = "SELECT table_name::text, column_name::text FROM information_schema.columns
                           WHERE table_schema = 'public' AND table_name NOT IN ('schema_version', 'write_queue')
                           ORDER BY 1, 2";
    let postgres_indexes = "SELECT indexname::text, '' FROM pg_indexes
                            WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' ORDER BY 1";
    let read = |store: &mut Store, sql: &str| -> Vec<(String, String)> {
        store.write(|tx| tx.query(sql, &[])?.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()).unwrap()
    };
    let mut sqlite = Store::in_memory().unwrap();
    let mut postgres = Store::connect(&fresh_database("schema")).unwrap();
    assert_eq!(read(&mut postgres, postgres_tables), read(&mut sqlite, sqlite_tables), "tables and columns");
    assert_eq!(read(&mut postgres, postgres_indexes), read(&mut sqlite, sqlite_indexes), "indexes");
    assert_eq!(postgres.version().unwrap(), schema::current_version(Backend::Postgres));
}
