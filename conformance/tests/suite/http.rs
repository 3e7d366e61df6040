//! The HTTP binding end to end: the reference servers (`serve`) pass the
//! issuer, status and verifier profiles over HTTP; thousands of malformed
//! requests get 4xx answers and leave a server that still works; a store
//! made by the previous schema migrates and serves; the test controls exist
//! only in test mode on loopback (HTTP-010); the tables of spec/http.md are
//! those of `reference/src/http.rs`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use std::collections::BTreeMap;

use jpki_bindings::http::raw::{self, Upload};
use jpki_bindings::http::roles::HttpBinding;
use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::served::Served as ServedRoles;
use jpki_conformance::checks::{self, Role, Target};
use jpki_conformance::runner::{self, Outcome, RunConfig, SutProfile};
use jpki_reference::Code;
use jpki_reference::http::{
    CONTENT_TYPE, Endpoint, IDEMPOTENCY_HEADER, LIMITS, ServerRole, format_idempotency_key, status_of,
};
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::world::{GOV_RP, IssueParams, World};
use jpki_server::client::{Client, fresh_key};
use jpki_server::{ServeConfig, start};

fn attributes() -> jpki_reference::pki::HolderAttributes {
    use jpki_reference::pki::{HolderAttributes, Sex};
    use jpki_reference::time::CivilDate;
    HolderAttributes {
        name: "山田 花子".into(),
        address: "東京都千代田区1-1".into(),
        date_of_birth: CivilDate::new(1990, 1, 1).unwrap(),
        sex: Sex::Female,
    }
}

/// A world whose server roles are those of the server at `url`, reset to `seed`.
fn world_over(url: &str, seed: [u8; 32]) -> World {
    World::with_factory_trusting(seed, None, Box::new(ServedRoles(Box::new(HttpBinding::start(url, &seed, None)))), &[])
        .unwrap()
}

/// A normal life over HTTP: issue both kinds, authenticate, sign; with
/// `keep`, on the records the server has (the roles set from `seed`).
fn normal_flow(url: &str, seed: [u8; 32], keep: bool) {
    jpki_conformance::checks::context::enter(Sut::Http { url: url.to_owned(), mutation: None }, seed);
    let binding = if keep { HttpBinding::attach(url, &seed) } else { HttpBinding::start(url, &seed, None) };
    let roles = ServedRoles(Box::new(binding));
    let mut w = World::with_factory_trusting(seed, None, Box::new(roles), &[]).unwrap();
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("phone");
    w.issue("hanako", "phone", &IssueParams::both(1)).unwrap();
    w.authenticate("phone", GOV_RP).unwrap();
    w.sign("phone", GOV_RP, b"a contract").unwrap();
    assert!(w.violations().is_empty(), "{:?}", w.violations());
}

/// `jpki-conformance serve --test-mode` as a child process on a free port;
/// ended when dropped.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Served {
    fn start() -> Served {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
            .args(["serve", "--test-mode", "--in-memory", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "jpki-mobile reference servers at http://127.0.0.1:PORT (…"
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_default().to_owned();
        assert!(url.len() > "http://".len(), "serve said {line:?}");
        Served { child, url }
    }

    fn url(&self) -> String {
        self.url.clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_passes_the_issuer_status_and_verifier_profiles_over_http() {
    // the README's `serve`, twice, half of the checks each: every check resets its server
    let servers = [Served::start(), Served::start()];
    profiles_pass_over(&[servers[0].url(), servers[1].url()]);
}

/// The Issuer, Status and verifier checks, split between `servers` (each
/// check resets the server it runs on), all pass; at least ten of each role.
pub fn profiles_pass_over(servers: &[String]) {
    let all: Vec<checks::Check> =
        checks::all().into_iter().filter(|c| !matches!(c.target, Target::Sut(Role::Device) | Target::Suite)).collect();
    let share = all.len().div_ceil(servers.len().max(1));
    let runs: Vec<runner::CheckRun> = std::thread::scope(|scope| {
        let parts: Vec<_> = all
            .chunks(share)
            .zip(servers)
            .map(|(part, url)| {
                scope.spawn(move || {
                    let sut = Sut::Http { url: url.clone(), mutation: None };
                    let profile = SutProfile::ask(&sut, &[0x4a; 32]).unwrap();
                    let config = RunConfig { sut, profile, seed: [0x4a; 32], ..RunConfig::default() };
                    runner::run(part, &config, &mut |_, _, _| {})
                })
            })
            .collect();
        parts.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass))
        .map(|r| format!("{}: {:?}", r.check.id, r.outcome))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let mut passed: BTreeMap<Role, usize> = BTreeMap::new();
    for run in &runs {
        if let Target::Sut(role) = run.check.target {
            *passed.entry(role).or_default() += 1;
        }
    }
    for role in [Role::Issuer, Role::Status, Role::Verifier] {
        assert!(passed.get(&role).copied().unwrap_or(0) >= 10, "{role:?}: {passed:?}");
    }
}

#[test]
fn a_verifier_under_test_reaches_the_suites_status_through_the_address_control() {
    // only the verifier is the server's: Status and the Issuer are the suite's (HTTP-011)
    let config = ServeConfig { roles: vec![ServerRole::Verifier], ..ServeConfig::for_tests() };
    let server = start(config).unwrap();
    let url = server.url();
    jpki_conformance::checks::context::enter(Sut::Http { url: url.clone(), mutation: None }, [3; 32]);
    let mut w = world_over(&url, [3; 32]);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("phone");
    w.issue("hanako", "phone", &IssueParams::both(1)).unwrap();
    w.authenticate("phone", GOV_RP).unwrap();
    // the suite's Status (the world's own) answered the server's one query and logged the use
    assert_eq!(w.observe().status.usage_log.len(), 1);
    assert_eq!(w.observe().verifiers[GOV_RP].counters.len(), 1);
    // Status and the Issuer are not this server's: their paths are unknown here
    let answer = Client::new().post(&format!("{url}{}", Endpoint::StatusQuery.path("")), &[0xa0], Some(&fresh_key()));
    assert_eq!(answer.unwrap().status, 404);
}

/// Bodies for the malformed storm: random bytes, and each vector file's
/// messages with one byte changed or cut short.
fn malformed_bodies(count: usize) -> Vec<Vec<u8>> {
    let mut stream = jpki_reference::crypto::SeededEntropy::new(&[7; 32], "http-storm");
    let mut next = |n: usize| {
        let mut out = vec![0u8; n];
        jpki_reference::crypto::Entropy::fill(&mut stream, &mut out);
        out
    };
    let mut valid = Vec::new();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    for entry in std::fs::read_dir(&folder).unwrap().flatten().take(8) {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for hex in
            text.split('"').filter(|s| s.len() > 40 && s.len() < 4000 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            if let Ok(bytes) = hex::decode(hex) {
                valid.push(bytes);
            }
            if valid.len() > 400 {
                break;
            }
        }
    }
    let mut bodies = Vec::new();
    for i in 0..count {
        let choice = next(4);
        let body = match i % 3 {
            0 => next(usize::from(choice[0]) * 4 + 1),
            _ if valid.is_empty() => next(16),
            1 => {
                let mut body = valid[usize::from(choice[1]) * 7 % valid.len()].clone();
                let at = usize::from(choice[2]) * 31 % body.len();
                body[at] ^= choice[3] | 1;
                body
            }
            _ => {
                let body = &valid[usize::from(choice[1]) * 11 % valid.len()];
                body[..usize::from(choice[2]) * 13 % body.len()].to_vec()
            }
        };
        bodies.push(body);
    }
    bodies
}

/// A raw request: method, path, head lines, body, how the body is sent.
type Envelope = (&'static str, String, Vec<String>, Vec<u8>, Upload);

#[test]
fn thousands_of_malformed_requests_get_4xx_and_the_server_still_serves() {
    let server = start(ServeConfig::for_tests()).unwrap();
    let url = server.url();
    let client = Client::new();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let bodies = malformed_bodies(3000);
    for (i, body) in bodies.iter().enumerate() {
        let endpoint = Endpoint::ALL[i % Endpoint::ALL.len()];
        if endpoint == Endpoint::Challenge && body.is_empty() {
            continue;
        }
        let answer = client.post(&format!("{url}{}", endpoint.path(GOV_RP)), body, Some(&fresh_key())).unwrap();
        *by_status.entry(answer.status).or_default() += 1;
        assert!(answer.status < 500, "{} for {:02x?} at {}", answer.status, body, endpoint.spec_path());
        if answer.status != 200 {
            let code = ErrorMessage::from_bytes(&answer.body).unwrap().code;
            assert_eq!(status_of(code), answer.status, "{code} at {}", endpoint.spec_path());
        }
    }
    // envelopes no client library would send: methods, types, keys, sizes, cut and chunked bodies
    let key = format!("{IDEMPOTENCY_HEADER}: {}", format_idempotency_key(&fresh_key()));
    let envelopes: Vec<Envelope> = vec![
        ("GET", Endpoint::Issue.path(""), vec![], vec![], Upload::Whole),
        ("POST", "/jpki/v0/../v0/issuer/issue".into(), vec![], vec![], Upload::Whole),
        ("POST", Endpoint::Issue.path(""), vec!["Content-Type: text/plain".into()], vec![], Upload::Whole),
        (
            "POST",
            Endpoint::Issue.path(""),
            vec![format!("Content-Type: {CONTENT_TYPE}"), "Content-Length: 99999999".into(), key.clone()],
            vec![],
            Upload::StallAfter(0),
        ),
        (
            "POST",
            Endpoint::Issue.path(""),
            vec![format!("Content-Type: {CONTENT_TYPE}"), "Content-Length: 50".into(), key.clone()],
            vec![0xa1; 50],
            Upload::CutAfter(10),
        ),
        (
            "POST",
            Endpoint::Issue.path(""),
            vec![format!("Content-Type: {CONTENT_TYPE}"), "Transfer-Encoding: chunked".into(), key.clone()],
            b"zz\r\n".to_vec(),
            Upload::CutAfter(4),
        ),
        (
            "POST",
            Endpoint::Issue.path(""),
            vec![
                format!("Content-Type: {CONTENT_TYPE}"),
                "Content-Length: 1".into(),
                format!("{IDEMPOTENCY_HEADER}: ****"),
            ],
            vec![0],
            Upload::Whole,
        ),
    ];
    for _ in 0..20 {
        for (method, path, head, body, upload) in &envelopes {
            if let Ok(answer) = raw::exchange(&url, method, path, head, body, upload.clone()) {
                assert!(answer.status < 500, "{} for {method} {path} {head:?}", answer.status);
            }
        }
    }
    assert!(by_status.values().sum::<usize>() > 2900, "{by_status:?}");
    // the server still serves a whole life
    normal_flow(&url, [9; 32], false);
}

#[test]
fn a_store_made_by_the_previous_schema_migrates_and_serves() {
    use jpki_server::store::{self, Backend, IssuerTables, Store, schema};
    let folder = std::env::temp_dir().join(format!("jpki-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    // the previous build's store: its schema, its seed, a card it registered
    let seed = [5u8; 32];
    let setup = jpki_reference::world::ReferenceSetup::new(seed, None).unwrap();
    let issuer_config = setup.issuer_config().unwrap();
    {
        let mut old =
            Store::open_at_version(&folder.join("jpki.sqlite3"), schema::current_version(Backend::Sqlite) - 1).unwrap();
        assert_eq!(old.version().unwrap(), schema::current_version(Backend::Sqlite) - 1);
        old.write(|tx| {
            store::meta_set(tx, "seed", &seed)?;
            let tables = IssuerTables::new(tx);
            let writes = jpki_reference::issuer::register_card(
                &issuer_config,
                &tables,
                b"old-holder",
                b"old-sign",
                4_000_000_000,
            )?;
            tables.apply(&writes)
        })
        .unwrap();
    }
    let config = ServeConfig { data: Some(folder.clone()), ..ServeConfig::for_tests() };
    let server = start(config).unwrap();
    // the store is at the new version (a second connection reads it; WAL allows it)
    assert_eq!(
        Store::open(&folder.join("jpki.sqlite3")).unwrap().version().unwrap(),
        schema::current_version(Backend::Sqlite)
    );
    // a whole life on the migrated store, keeping its records
    normal_flow(&server.url(), seed, true);
    let connection = jpki_bindings::http::roles::Connection::attach(&server.url(), &seed, None).unwrap();
    let observed = connection.control("observe/issuer", &jpki_bindings::http::roles::control_map(vec![])).unwrap();
    let issuer: jpki_reference::observation::IssuerObservation = ciborium::from_reader(observed.as_slice()).unwrap();
    assert!(issuer.cards.contains_key(b"old-holder".as_slice()), "the previous build's card is gone");
    assert_eq!(issuer.cards.len(), 2, "the old card and the flow's");
    // every accepted step of the flow is in the audit log, whose chain holds
    let mut store = Store::open(&folder.join("jpki.sqlite3")).unwrap();
    match store.write(store::audit::verify).unwrap() {
        store::audit::Verdict::Intact { rows } => assert!(rows >= 6, "{rows} audit rows"),
        broken => panic!("{broken:?}"),
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn test_controls_exist_only_in_test_mode_on_loopback() {
    // HTTP-010: without test mode, every control path is unknown
    let config = ServeConfig { test_mode: false, ..ServeConfig::for_tests() };
    let server = start(config).unwrap();
    for control in ["reset", "clock", "observe/issuer", "load/status", "nothing"] {
        let answer = Client::new().post(&format!("{}/jpki/test/{control}", server.url()), &[0xa0], None).unwrap();
        assert_eq!(answer.status, 404, "{control}");
        assert_eq!(ErrorMessage::from_bytes(&answer.body).unwrap().code, Code::UnknownEndpoint);
    }
    // and test mode on another address is refused before listening (HTTP-010)
    let config = ServeConfig { address: "0.0.0.0:0".parse().unwrap(), ..ServeConfig::for_tests() };
    let refused = start(config).err().unwrap();
    assert!(refused.contains("HTTP-010"), "{refused}");
}

/// A table of spec/http.md: the rows after the header line starting `header`.
fn spec_table(header: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/http.md")).unwrap();
    let mut lines = text.lines().skip_while(|l| !l.starts_with(header)).skip(2);
    let mut rows = Vec::new();
    for line in lines.by_ref() {
        if !line.starts_with('|') {
            break;
        }
        rows.push(line.trim_matches('|').split('|').map(|c| c.trim().replace('`', "")).collect());
    }
    rows
}

#[test]
fn spec_http_md_lists_the_endpoints_statuses_and_limits_of_reference_http_rs() {
    let endpoints: Vec<Vec<String>> = Endpoint::ALL
        .iter()
        .map(|e| {
            vec![e.role().as_str().to_owned(), e.spec_path(), e.request_rule().to_owned(), e.answer_rule().to_owned()]
        })
        .collect();
    assert_eq!(spec_table("| role | path |"), endpoints);
    // every code's status is the one §3 gives (by code, else by category)
    let by_code: BTreeMap<String, u16> = spec_table("| code | status |")
        .into_iter()
        .flat_map(|row| {
            let status: u16 = row[1].parse().unwrap();
            row[0].split(", ").map(move |c| (c.to_owned(), status)).collect::<Vec<_>>()
        })
        .collect();
    let by_category: BTreeMap<String, u16> = spec_table("| category | status |")
        .into_iter()
        .flat_map(|row| {
            let status: u16 = row[1].parse().unwrap();
            row[0].split(", ").map(move |c| (c.to_owned(), status)).collect::<Vec<_>>()
        })
        .collect();
    for code in Code::ALL {
        let category = format!("{:?}", code.category()).to_lowercase();
        let spec = by_code.get(code.as_str()).or(by_category.get(&category)).copied();
        assert_eq!(spec, Some(status_of(*code)), "{code}");
    }
    let limits: Vec<Vec<String>> =
        spec_table("| constant | value | meaning |").into_iter().map(|row| row[..2].to_vec()).collect();
    let ours: Vec<Vec<String>> = LIMITS.iter().map(|(n, v)| vec![(*n).to_owned(), v.to_string()]).collect();
    assert_eq!(limits, ours);
}

#[test]
fn no_check_script_imports_a_binding() {
    // the bindings crate cannot import the checks (the compiler keeps that);
    // the other way, only the one place that picks a binding for a SUT, the
    // runner's context (which names the bindings' outcome payloads) and the
    // checks of the HTTP envelope itself may name one
    let allowed = ["served.rs", "context.rs", "binding.rs"];
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&folder).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if text.contains("jpki_bindings") && !allowed.contains(&name.as_str()) {
            offenders.push(name);
        }
    }
    assert!(offenders.is_empty(), "check scripts naming a binding: {offenders:?}");
}

#[test]
fn each_planted_edge_fault_fails_a_binding_check_naming_its_requirement() {
    use jpki_server::faults::EdgeFault;
    // the binding's checks (the stalled upload's aside: it only waits)
    let checks: Vec<checks::Check> = checks::all()
        .into_iter()
        .filter(|c| {
            c.id != "registry::upload_timeout"
                && (c.id.starts_with("http::")
                    || Code::ALL.iter().any(|code| {
                        code.category() == jpki_reference::error::Category::Http && c.id == format!("registry::{code}")
                    }))
        })
        .collect();
    assert_eq!(checks.len(), 11);
    for (fault, requirement) in EdgeFault::ALL {
        let server = start(ServeConfig { fault: Some(fault), ..ServeConfig::for_tests() }).unwrap();
        let sut = Sut::Http { url: server.url(), mutation: None };
        let profile = SutProfile::ask(&sut, &[0x4a; 32]).unwrap();
        let config = RunConfig { sut, profile, seed: [0x4a; 32], ..RunConfig::default() };
        let runs = runner::run(&checks, &config, &mut |_, _, _| {});
        let caught: Vec<&str> = runs
            .iter()
            .filter(|r| matches!(&r.outcome, Outcome::Fail { requirement: Some(r), .. } if r == requirement))
            .map(|r| r.check.id.as_str())
            .collect();
        assert!(
            !caught.is_empty(),
            "{fault:?} ({requirement}) was caught by no check: {:#?}",
            runs.iter().map(|r| (&r.check.id, &r.outcome)).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_load_generator_runs_whole_lives_and_judges_the_servers_once_at_the_end() {
    use jpki_conformance::load::{self, LIFE, LoadConfig};
    let server = start(ServeConfig::for_tests()).unwrap();
    let config = LoadConfig { suts: vec![server.url()], holders: 12, workers: 3, seed: [0x1d; 32], mutant: None };
    let report = load::run(&config, &|_, _| {}).unwrap();
    assert_eq!((report.lives, report.failed_lives.len()), (12, 0), "{:?}", report.failed_lives);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // every step of every life went over HTTP, and was timed
    let issued = &report.endpoints["/jpki/v0/issuer/issue"];
    assert_eq!(issued.requests, 12);
    assert!(issued.p50_ms > 0.0 && issued.p99_ms >= issued.p50_ms);
    assert!(report.requests >= 12 * LIFE.len(), "{} requests", report.requests);
    // a verify is sent from a thread of its own while the suite answers Status: timed too
    assert_eq!(report.endpoints["/jpki/v0/verifier/gov.example.jp/verify"].requests, 12 * 5);
    // a server whose migration leaves the old phone's certificates live:
    // the final judging names the invariant it breaks (INV-013: a certificate
    // moved to a new phone replaces one superseded at that instant)
    let mutant = start(ServeConfig::for_tests()).unwrap();
    let config = LoadConfig {
        suts: vec![mutant.url()],
        holders: 3,
        workers: 2,
        seed: [0x1d; 32],
        mutant: Some("old-device-stays-active".into()),
    };
    let report = load::run(&config, &|_, _| {}).unwrap();
    assert!(
        report.violations.iter().any(|v| v.starts_with("INV-013")),
        "{:?} {:?}",
        report.violations,
        report.failed_lives
    );
}

#[test]
fn a_status_list_chunk_is_read_with_get_and_nothing_else() {
    // HTTP-013, STL-004, STL-007
    let server = start(ServeConfig::for_tests()).unwrap();
    let url = server.url();
    jpki_conformance::checks::context::enter(Sut::Http { url: url.clone(), mutation: None }, [4; 32]);
    let mut w = world_over(&url, [4; 32]);
    w.add_holder("hanako", attributes()).unwrap();
    w.add_device("phone");
    w.issue("hanako", "phone", &IssueParams::both(1)).unwrap();
    let before = w.observe().status;
    let client = Client::new();
    let path = jpki_reference::http::list_path(0);
    let answer = client.get(&format!("{url}{path}")).unwrap();
    assert_eq!((answer.status, answer.content_type.as_deref()), (200, Some(jpki_reference::http::CONTENT_TYPE)));
    let token = jpki_reference::status_list::open_chunk(w.provider(), w.mobile_anchor(), &answer.body, 0, w.now())
        .expect("a token a reader accepts");
    // both certificates are good: their entries (indices 0 and 1) are 0, and the chunk is whole
    assert_eq!((token.list.get(0), token.list.get(1), token.list.len()), (Some(0), Some(0), 65_536));
    assert_eq!(w.observe().status, before, "a list read changes nothing (STL-007)");
    // any other method there: 405 method_not_allowed
    let posted = client.post(&format!("{url}{path}"), &[], Some(&fresh_key())).unwrap();
    let refusal = ErrorMessage::from_bytes(&posted.body).unwrap().to_error();
    assert_eq!((posted.status, refusal.code), (405, Code::MethodNotAllowed));
    // a chunk number in another form is no path (HTTP-002)
    for odd in ["00", "-1", "+1", "x", "1.0", ""] {
        let got = client.get(&format!("{url}/jpki/v0/status/list/{odd}")).unwrap();
        let refusal = ErrorMessage::from_bytes(&got.body).unwrap().to_error();
        assert_eq!((got.status, refusal.code), (404, Code::UnknownEndpoint), "{odd:?}");
    }
    // a server not hosting Status has no list
    let verifier_only = start(ServeConfig { roles: vec![ServerRole::Verifier], ..ServeConfig::for_tests() }).unwrap();
    let got = client.get(&format!("{}{path}", verifier_only.url())).unwrap();
    assert_eq!(got.status, 404);
}
