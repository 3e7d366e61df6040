//! Checks of the HTTP binding's envelope (spec/http.md): methods, paths,
//! content types, sizes, slow and cut uploads, idempotency keys, atomic
//! refusals, the Status address. They drive a server over HTTP: the SUT
//! itself when it is one (`--sut http://…`), the reference's own server
//! when the SUT is the embedded reference. A shim adapter has no HTTP
//! binding, and a built-in mutant changes protocol rules, not the edge, so
//! for those they are skipped with that reason.
#![allow(clippy::panic)]

use jpki_reference::Code;
use jpki_reference::http::{
    CONTENT_TYPE, Endpoint, IDEMPOTENCY_HEADER, MAX_BODY_BYTES, UPLOAD_TIMEOUT_SECS, UseOrder, format_idempotency_key,
    status_of,
};
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, World};
use jpki_server::client::{Client, Received, fresh_key};

use super::context::{self, Failure, Sut, fail, fail_on, step};
use super::registry::Case;
use super::{Check, CheckKind, Feature as F, Role};
use jpki_bindings::http::raw::{self, RawAnswer, Upload};
use jpki_bindings::http::roles::{Connection, HttpBinding};

/// A server to judge, reset to the check's seed.
pub(crate) struct Served {
    /// Its base URL.
    pub url: String,
    /// The connection (the suite's counterpart Status listens for it).
    pub connection: Connection,
    /// The reference's own server, when the SUT is the embedded reference.
    _running: Option<jpki_server::Running>,
}

/// The server the running check judges.
pub(crate) fn served() -> Served {
    let (url, running) = match context::sut() {
        Sut::Http { url, .. } => (url, None),
        Sut::Reference => match jpki_server::start(jpki_server::ServeConfig::for_tests()) {
            Ok(running) => (running.url(), Some(running)),
            Err(e) => std::panic::panic_any(Failure::setup(format!("cannot start the reference server: {e}"))),
        },
        Sut::Mutant(_) => context::skip(
            "a built-in mutant changes a protocol rule, not the HTTP edge; the edge is judged under `reference`".into(),
        ),
        Sut::Shim { .. } => context::skip("the SUT is a shim adapter: it has no HTTP binding to judge".into()),
    };
    let mutation = match context::sut() {
        Sut::Http { mutation, .. } => mutation.map(|m| m.name()),
        _ => None,
    };
    let connection = Connection::open(&url, &context::seed(), mutation)
        .unwrap_or_else(|e| std::panic::panic_any(Failure::setup(format!("cannot reset the server at {url}: {e}"))));
    Served { url, connection, _running: running }
}

impl Served {
    /// A world whose server roles are this server's.
    pub fn world(&self) -> World {
        let seed = context::seed();
        let roles = super::served::Served(Box::new(HttpBinding::start(&self.url, &seed, None)));
        World::with_factory_trusting(seed, None, Box::new(roles), &[])
            .unwrap_or_else(|e| std::panic::panic_any(Failure::setup(format!("cannot build the world: {e}"))))
    }

    /// A raw exchange; a server that does not answer fails HTTP-007.
    fn raw(&self, method: &str, path: &str, head: &[String], body: &[u8], upload: Upload, role: Role) -> RawAnswer {
        context::drove(role);
        raw::exchange(&self.url, method, path, head, body, upload)
            .unwrap_or_else(|e| fail_on("HTTP-007", "an answer", format!("none: {e}")))
    }

    /// A well-formed POST of `body` to `endpoint` with `key`.
    fn post(&self, endpoint: Endpoint, body: &[u8], key: &[u8; 16]) -> Received {
        context::drove(endpoint_role(endpoint));
        Client::new()
            .post(&format!("{}{}", self.url, endpoint.path(GOV_RP)), body, Some(key))
            .unwrap_or_else(|e| fail_on("HTTP-007", "an answer", format!("none: {e}")))
    }
}

fn endpoint_role(endpoint: Endpoint) -> Role {
    match endpoint.role() {
        jpki_reference::http::ServerRole::Issuer => Role::Issuer,
        jpki_reference::http::ServerRole::Status => Role::Status,
        jpki_reference::http::ServerRole::Verifier => Role::Verifier,
    }
}

/// The usual head of a step: content type, length, a fresh key.
fn head(body: &[u8]) -> Vec<String> {
    vec![
        format!("Content-Type: {CONTENT_TYPE}"),
        format!("Content-Length: {}", body.len()),
        format!("{IDEMPOTENCY_HEADER}: {}", format_idempotency_key(&fresh_key())),
    ]
}

/// Asserts a refusal with `code`, under the status §3 gives it, as an `Error` message.
fn refused_with(answer: &RawAnswer, code: Code, what: &str) {
    let said = ErrorMessage::from_bytes(&answer.body).map(|m| m.code);
    if answer.status != status_of(code) || said.as_ref().ok() != Some(&code) {
        fail_on(
            code.requirement(),
            format!("{what}: {} with {code}", status_of(code)),
            format!("{} with {:?}", answer.status, said.map(|c| c.as_str()).map_err(|e| e.to_string())),
        );
    }
}

fn use_order() -> Vec<u8> {
    let order = UseOrder { kind: Kind::Auth, purpose: "log in".into(), document_digest: None };
    order.to_bytes().unwrap_or_else(|e| std::panic::panic_any(Failure::setup(e.to_string())))
}

fn observe_all(served: &Served) -> Vec<Vec<u8>> {
    ["observe/issuer", "observe/status", &format!("observe/verifier/{GOV_RP}")]
        .iter()
        .map(|name| {
            served
                .connection
                .control(name, &jpki_bindings::http::roles::control_map(vec![]))
                .unwrap_or_else(|e| std::panic::panic_any(Failure::setup(e)))
        })
        .collect()
}

fn method_not_allowed() {
    let served = served();
    step("HTTP-001");
    for method in ["GET", "PUT", "DELETE"] {
        let answer = served.raw(method, &Endpoint::Challenge.path(""), &head(&[]), &[], Upload::Whole, Role::Issuer);
        refused_with(&answer, Code::MethodNotAllowed, &format!("{method} at the challenge step"));
    }
}

fn unknown_endpoint() {
    let served = served();
    step("HTTP-002");
    for path in
        ["/jpki/v1/issuer/challenge", "/jpki/v0/issuer/nothing", "/jpki/v0/verifier/unknown.example/request", "/"]
    {
        let answer = served.raw("POST", path, &head(&[]), &[], Upload::Whole, Role::Issuer);
        refused_with(&answer, Code::UnknownEndpoint, path);
    }
}

fn unsupported_media_type() {
    let served = served();
    step("HTTP-003");
    let key = format!("{IDEMPOTENCY_HEADER}: {}", format_idempotency_key(&fresh_key()));
    for content_type in [Some("text/plain"), Some("application/cbor; charset=utf-8"), Some("application/json"), None] {
        let mut lines = vec!["Content-Length: 0".to_owned(), key.clone()];
        lines.extend(content_type.map(|t| format!("Content-Type: {t}")));
        let answer = served.raw("POST", &Endpoint::Challenge.path(""), &lines, &[], Upload::Whole, Role::Issuer);
        refused_with(&answer, Code::UnsupportedMediaType, &format!("Content-Type {content_type:?}"));
    }
}

fn upload_timeout() {
    let served = served();
    step("HTTP-005");
    let body = use_order();
    let path = Endpoint::UseRequest.path(GOV_RP);
    let before = std::time::Instant::now();
    let answer = served.raw("POST", &path, &head(&body), &body, Upload::StallAfter(2), Role::Verifier);
    refused_with(&answer, Code::UploadTimeout, "a body stalled after two bytes");
    let waited = before.elapsed().as_secs();
    if waited > UPLOAD_TIMEOUT_SECS + 5 {
        fail(format!("the refusal within about {UPLOAD_TIMEOUT_SECS} s"), format!("after {waited} s"));
    }
}

fn idempotency_key_missing() {
    let served = served();
    step("HTTP-008");
    let base = [format!("Content-Type: {CONTENT_TYPE}"), "Content-Length: 0".to_owned()];
    for key in [None, Some("short"), Some("AAAAAAAAAAAAAAAAAAAAA="), Some("AAAAAAAAAAAAAAAAAAAAAB")] {
        let mut lines = base.to_vec();
        lines.extend(key.map(|k| format!("{IDEMPOTENCY_HEADER}: {k}")));
        let answer = served.raw("POST", &Endpoint::Challenge.path(""), &lines, &[], Upload::Whole, Role::Issuer);
        refused_with(&answer, Code::IdempotencyKeyMissing, &format!("Idempotency-Key {key:?}"));
    }
}

/// Bodies no step takes: each must be refused with a 4xx and a code, never a 5xx.
fn malformed_bodies(seed: &[u8; 32]) -> Vec<Vec<u8>> {
    let mut stream = jpki_reference::crypto::SeededEntropy::new(seed, "binding/malformed");
    let mut bodies = vec![vec![], vec![0xa0], vec![0xff], vec![0xd2, 0x84], vec![0x9f; 40], vec![0x81; 200]];
    for length in [1usize, 7, 64, 300, 4000] {
        let mut random = vec![0u8; length];
        jpki_reference::crypto::Entropy::fill(&mut stream, &mut random);
        bodies.push(random);
    }
    bodies.push(use_order());
    bodies
}

fn server_fault() {
    let served = served();
    step("HTTP-007");
    for endpoint in Endpoint::ALL {
        for body in malformed_bodies(&context::seed()) {
            // the challenge step takes the empty body: that one is a valid request
            if endpoint == Endpoint::Challenge && body.is_empty() {
                continue;
            }
            if endpoint == Endpoint::UseRequest && body == use_order() {
                continue;
            }
            let received = served.post(endpoint, &body, &fresh_key());
            if received.status >= 500 {
                fail(
                    format!("a 4xx for a malformed {} body", endpoint.request_rule()),
                    format!("{} at {}", received.status, endpoint.spec_path()),
                );
            }
            step("HTTP-006");
            let code = ErrorMessage::from_bytes(&received.body).map(|m| m.code);
            match code {
                Ok(code) if status_of(code) == received.status && received.status != 200 => {}
                other => fail(
                    format!("a refusal with its code's status at {}", endpoint.spec_path()),
                    format!("{} with {other:?}", received.status),
                ),
            }
            step("HTTP-007");
        }
    }
}

fn too_large() {
    let served = served();
    step("HTTP-004");
    let path = Endpoint::StatusQuery.path("");
    // declared too large: refused before the body is read
    let mut lines = head(&[]);
    lines[1] = format!("Content-Length: {}", MAX_BODY_BYTES + 1);
    let answer = served.raw("POST", &path, &lines, &[], Upload::StallAfter(0), Role::Status);
    refused_with(&answer, Code::TooLarge, "Content-Length one past MAX_MESSAGE_BYTES");
    // sent in chunks growing past the bound
    let mut lines = head(&[]);
    lines[1] = "Transfer-Encoding: chunked".to_owned();
    let chunk = vec![0x41u8; 16 * 1024];
    let mut body = Vec::new();
    for _ in 0..5 {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let answer = served.raw("POST", &path, &lines, &body, Upload::Whole, Role::Status);
    refused_with(&answer, Code::TooLarge, "a chunked body growing past MAX_MESSAGE_BYTES");
}

fn truncated_upload() {
    let served = served();
    step("HTTP-005");
    let body = use_order();
    let path = Endpoint::UseRequest.path(GOV_RP);
    let before = observe_all(&served);
    // cut short: the server may answer or not, but nothing happens
    let _ = raw::exchange(&served.url, "POST", &path, &head(&body), &body, Upload::CutAfter(body.len() - 1));
    context::drove(Role::Verifier);
    if observe_all(&served) != before {
        fail("a body cut short has no effect", "the server's records moved");
    }
    let received = served.post(Endpoint::UseRequest, &body, &fresh_key());
    if received.status != 200 {
        fail("the whole request, sent next, is answered 200", format!("{}", received.status));
    }
}

fn idempotent_retry() {
    let served = served();
    step("HTTP-008");
    let key = fresh_key();
    let first = served.post(Endpoint::Challenge, &[], &key);
    let again = served.post(Endpoint::Challenge, &[], &key);
    if first.status != 200 || again != first {
        fail("the same key again: the first answer, byte for byte", format!("{} then {}", first.status, again.status));
    }
    let observed = served
        .connection
        .control("observe/issuer", &jpki_bindings::http::roles::control_map(vec![]))
        .unwrap_or_else(|e| std::panic::panic_any(Failure::setup(e)));
    let issuer: jpki_reference::observation::IssuerObservation = ciborium::from_reader(observed.as_slice())
        .unwrap_or_else(|e| std::panic::panic_any(Failure::setup(e.to_string())));
    if issuer.sessions.len() != 1 {
        fail("one session for one key", format!("{} sessions", issuer.sessions.len()));
    }
    let order = use_order();
    let other = UseOrder { kind: Kind::Sign, purpose: "sign".into(), document_digest: Some([7; 32]) }
        .to_bytes()
        .unwrap_or_default();
    let key = fresh_key();
    let first = served.post(Endpoint::UseRequest, &order, &key);
    let conflict = served.post(Endpoint::UseRequest, &other, &key);
    let code = ErrorMessage::from_bytes(&conflict.body).map(|m| m.code).ok();
    if first.status != 200 || code != Some(Code::IdempotencyConflict) || conflict.status != 409 {
        fail("the same key with another body: 409 idempotency_conflict", format!("{} with {code:?}", conflict.status));
    }
}

fn refusal_changes_nothing() {
    let served = served();
    step("HTTP-009");
    // refused at the first decode, on an empty server
    let before = observe_all(&served);
    for endpoint in Endpoint::ALL {
        let body = if endpoint == Endpoint::Challenge { vec![0xa0] } else { vec![0x82, 0x01, 0x02] };
        let received = served.post(endpoint, &body, &fresh_key());
        if received.status == 200 {
            fail(format!("a refusal of {:02x?} at {}", body, endpoint.spec_path()), "200");
        }
    }
    if observe_all(&served) != before {
        fail("refused steps leave every record as it was", "the server's records moved");
    }
    // refused late, after every signature checked, on a server with records:
    // the world compares every role's observation around each refusal (INV-011)
    let mut w = served.world();
    let setup = |e: jpki_reference::Error| -> ! { std::panic::panic_any(Failure::setup(e.to_string())) };
    w.add_holder("ichiro", super::surgery::attributes()).unwrap_or_else(|e| setup(e));
    w.add_device("phone");
    context::accepted(w.issue("ichiro", "phone", &IssueParams::both(1)), "issuance over HTTP");
    let resume = w.holder_action("ichiro", HolderAction::Resume, &LifecycleParams::with_key(4));
    context::refused_under(resume, Code::NotSuspended, "HTTP-009");
    let again = w.issue("ichiro", "phone", &IssueParams::both(2));
    context::refused_under(again, Code::AlreadyActive, "HTTP-009");
    let request = context::accepted(w.use_request(GOV_RP, Kind::Auth, "log in", None), "a use request");
    let uv = jpki_reference::device::UserVerification::BIOMETRIC;
    let assertion = context::accepted(w.assertion("phone", &request, uv), "the wallet's assertion");
    context::accepted(w.verify(GOV_RP, &assertion), "the first use");
    context::refused_under(w.verify(GOV_RP, &assertion), Code::NonceReused, "HTTP-009");
}

fn feed_and_status_address() {
    let served = served();
    let mut w = served.world();
    let setup = |e: jpki_reference::Error| -> ! { std::panic::panic_any(Failure::setup(e.to_string())) };
    w.add_holder("ichiro", super::surgery::attributes()).unwrap_or_else(|e| setup(e));
    w.add_device("phone");
    step("HTTP-011");
    context::accepted(w.issue("ichiro", "phone", &IssueParams::both(1)), "issuance over HTTP");
    // the feeds reach the world only through the suite's Status at the address
    let fed = w.sent_feeds().len();
    if fed < 2 {
        fail("a StatusFeed per issued certificate at the Status address, before the answer", format!("{fed}"));
    }
    // the verifier asks the Status at the address: one query, which the suite
    // answers "unreachable" here, so the use must end status_undetermined
    let request = context::accepted(w.use_request(GOV_RP, Kind::Auth, "log in", None), "a use request");
    let uv = jpki_reference::device::UserVerification::BIOMETRIC;
    let assertion = context::accepted(w.assertion("phone", &request, uv), "the wallet's assertion");
    let (result, queries) = w.verify_with_answer(GOV_RP, &assertion, StatusAnswer::Unreachable);
    if queries != 1 {
        fail("one status query at the Status address", format!("{queries}"));
    }
    context::refused_under(result, Code::StatusUndetermined, "HTTP-011");
    context::accepted(w.authenticate("phone", GOV_RP), "a use whose status query the suite's Status answers");
}

fn status_list_by_get() {
    let served = served();
    let mut w = served.world();
    w.add_holder("hanako", super::surgery::attributes()).unwrap_or_else(|e| fail("a holder", e.to_string()));
    w.add_device("phone");
    w.issue("hanako", "phone", &IssueParams::both(1)).unwrap_or_else(|e| fail("an issuance", format!("{e:?}")));
    let before = observe_all(&served);
    step("HTTP-013");
    let path = jpki_reference::http::list_path(0);
    for extra in [vec![], vec![format!("Content-Type: {CONTENT_TYPE}")]] {
        let answer = served.raw("GET", &path, &extra, &[], Upload::Whole, Role::Status);
        let content_type = answer.header("content-type").unwrap_or("none");
        if answer.status != 200 || content_type != CONTENT_TYPE {
            fail_on(
                "HTTP-013",
                format!("GET {path} (headers {extra:?}): 200 with Content-Type {CONTENT_TYPE}"),
                format!("{} with Content-Type {content_type}", answer.status),
            );
        }
        if jpki_reference::codec::cose_sign1::decode_sign1(&answer.body, &jpki_reference::codec::Limits::V0).is_err() {
            fail_on(
                "HTTP-013",
                "a StatusListToken (COSE_Sign1)",
                format!("{} bytes that are not one", answer.body.len()),
            );
        }
    }
    for method in ["POST", "PUT", "DELETE"] {
        let answer = served.raw(method, &path, &head(&[]), &[], Upload::Whole, Role::Status);
        refused_with(&answer, Code::MethodNotAllowed, &format!("{method} at {path}"));
    }
    for odd in ["00", "+0", "0x0", "a", "-1", ""] {
        let odd_path = format!("{}status/list/{odd}", jpki_reference::http::PREFIX);
        let answer = served.raw("GET", &odd_path, &[], &[], Upload::Whole, Role::Status);
        refused_with(&answer, Code::UnknownEndpoint, &format!("GET {odd_path}"));
    }
    // reading a list changes nothing (STL-007)
    if observe_all(&served) != before {
        fail_on("HTTP-013", "the records as they were before the GETs", "changed");
    }
}

/// The registry checks of the binding's own codes.
pub(crate) fn cases() -> Vec<Case> {
    let issuer =
        |title, code, requirements, run| Case { title, code, role: Role::Issuer, requirements, features: &[], run };
    vec![
        issuer("GET, PUT and DELETE at a protocol path", Code::MethodNotAllowed, &["HTTP-001"], method_not_allowed),
        issuer(
            "another wire version, an unknown step, an unknown verifier",
            Code::UnknownEndpoint,
            &["HTTP-002"],
            unknown_endpoint,
        ),
        issuer(
            "a body without Content-Type: application/cbor",
            Code::UnsupportedMediaType,
            &["HTTP-003"],
            unsupported_media_type,
        ),
        Case {
            title: "a body that stalls after two bytes",
            code: Code::UploadTimeout,
            role: Role::Verifier,
            requirements: &["HTTP-005"],
            features: &[F::Authentication],
            run: upload_timeout,
        },
        issuer(
            "malformed bodies at every endpoint: never a 5xx",
            Code::ServerFault,
            &["HTTP-006", "HTTP-007"],
            server_fault,
        ),
        issuer(
            "no Idempotency-Key, or a malformed one",
            Code::IdempotencyKeyMissing,
            &["HTTP-008"],
            idempotency_key_missing,
        ),
    ]
}

/// The binding's checks beyond the registry's.
pub(crate) fn checks() -> Vec<Check> {
    let scenario = CheckKind::Scenario;
    vec![
        Check::new(
            "http::too-large",
            "a body declared or grown past MAX_MESSAGE_BYTES",
            Role::Status,
            scenario,
            &["HTTP-004", "ENC-009"],
            vec![],
            too_large,
        ),
        Check::new(
            "http::truncated-upload",
            "a body cut short changes nothing",
            Role::Verifier,
            scenario,
            &["HTTP-005"],
            vec![F::Authentication],
            truncated_upload,
        ),
        Check::new(
            "http::idempotent-retry",
            "the same key again: the first answer; with another body: a conflict",
            Role::Issuer,
            scenario,
            &["HTTP-008", "ISS-006"],
            vec![F::Issuance],
            idempotent_retry,
        ),
        Check::new(
            "http::refusal-changes-nothing",
            "a refused step at each endpoint leaves every record as it was",
            Role::Issuer,
            scenario,
            &["HTTP-009", "INV-011"],
            vec![],
            refusal_changes_nothing,
        ),
        Check::new(
            "http::feed-and-status-address",
            "the Issuer feeds, and the verifier asks, the Status at the given address",
            Role::Verifier,
            scenario,
            &["HTTP-011", "USE-009"],
            vec![F::Issuance, F::Authentication],
            feed_and_status_address,
        ),
        Check::new(
            "http::status-list-by-get",
            "a status-list chunk by GET only, at its shortest-decimal path, changing nothing",
            Role::Status,
            scenario,
            &["HTTP-013", "STL-007"],
            vec![F::Issuance],
            status_list_by_get,
        ),
    ]
}
