//! The role traits over the HTTP binding: each call becomes a request to
//! the server under test, a refusal comes back as its registry code, and
//! every answer is judged against the binding as it arrives: a 5xx for
//! input fails HTTP-007, a refusal under another status than its code's
//! fails HTTP-006, an answer that is not CBOR or not an `Error` fails
//! HTTP-006 too.
//!
//! Like the shim's, these adapters run inside a check script, so a broken
//! server ends the script with a panic payload of [`crate::outcome`].
#![allow(clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ciborium::Value;
use jpki_reference::Result;
use jpki_reference::http::{Endpoint, UseOrder, UseOutcome, WipeCommands, WipePoll, status_of};
use jpki_reference::issuer::{CardEvent, IssuerOutput};
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::{Digest, Kind, Message};
use jpki_reference::observation::{IssuerObservation, StatusObservation, VerifierObservation};
use jpki_reference::roles::{
    DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier, StatusRole,
    VerifierRole,
};
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::world::WORLD_START;
use jpki_server::client::{Client, Received, fresh_key};

use super::counterpart::{Counterpart, Event};
use crate::outcome::{broken, missing, violated as fail_on};
use crate::{Binding, ServedRole};

/// How long the suite waits for a server's answer to one step.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to one server under test, shared by the roles it hosts in one world.
pub struct Connection {
    /// The server's base URL.
    pub base: String,
    client: Client,
    /// The roles the server hosts (from `reset`).
    pub roles: Vec<String>,
    /// The server's name for itself.
    pub identity: String,
    clock: Option<UnixTime>,
    counterpart: Counterpart,
}

type Shared = Rc<RefCell<Connection>>;

/// Why a control gave no answer.
enum ControlError {
    /// The server does not offer it (404, `unknown_endpoint`).
    Missing,
    /// It failed.
    Failed(String),
}

/// A text-keyed CBOR map for a control.
pub fn control_map(entries: Vec<(&str, Value)>) -> Vec<u8> {
    let value = Value::Map(entries.into_iter().map(|(k, v)| (Value::Text(k.to_owned()), v)).collect());
    let mut out = Vec::new();
    if ciborium::into_writer(&value, &mut out).is_err() {
        broken("cannot encode a control".into());
    }
    out
}

impl Connection {
    /// Resets the server at `base` to the test PKI of `seed` and points it
    /// at a fresh counterpart Status (HTTP-011).
    pub fn open(base: &str, seed: &[u8; 32], mutation: Option<&str>) -> std::result::Result<Connection, String> {
        Connection::reset(base, seed, mutation, false)
    }

    /// As [`open`](Self::open), keeping the server's records (`reset` with
    /// `keep`): the roles are those of `seed`, the records those it has.
    pub fn attach(base: &str, seed: &[u8; 32], mutation: Option<&str>) -> std::result::Result<Connection, String> {
        Connection::reset(base, seed, mutation, true)
    }

    fn reset(
        base: &str,
        seed: &[u8; 32],
        mutation: Option<&str>,
        keep: bool,
    ) -> std::result::Result<Connection, String> {
        let counterpart = Counterpart::start()?;
        let mut connection = Connection {
            base: base.trim_end_matches('/').to_owned(),
            client: Client::new(),
            roles: Vec::new(),
            identity: String::new(),
            clock: None,
            counterpart,
        };
        let mut entries = vec![("seed", Value::Bytes(seed.to_vec())), ("clock", Value::Integer(WORLD_START.into()))];
        if let Some(m) = mutation {
            entries.push(("mutation", Value::Text(m.to_owned())));
        }
        if keep {
            entries.push(("keep", Value::Bool(true)));
        }
        let answer = connection.control("reset", &control_map(entries))?;
        let answer: Value = ciborium::from_reader(answer.as_slice()).map_err(|e| format!("reset answer: {e}"))?;
        let field = |name: &str| answer.as_map().and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some(name)));
        connection.identity = field("identity").and_then(|(_, v)| v.as_text()).unwrap_or_default().to_owned();
        connection.roles = field("roles")
            .and_then(|(_, v)| v.as_array())
            .map(|items| items.iter().filter_map(|v| v.as_text().map(str::to_owned)).collect())
            .ok_or("the reset answer names no roles")?;
        connection.clock = Some(WORLD_START);
        let url = connection.counterpart.url.clone();
        connection.control("status-address", &control_map(vec![("url", Value::Text(url))]))?;
        Ok(connection)
    }

    /// Sends a test control; its answer body, or why it failed.
    pub fn control(&self, name: &str, body: &[u8]) -> std::result::Result<Vec<u8>, String> {
        self.try_control(name, body).map_err(|e| match e {
            ControlError::Missing => format!("the server offers no `{name}` test control (spec/http.md §5)"),
            ControlError::Failed(detail) => detail,
        })
    }

    fn try_control(&self, name: &str, body: &[u8]) -> std::result::Result<Vec<u8>, ControlError> {
        let url = format!("{}/jpki/test/{name}", self.base);
        match self.client.post_reading(&url, body, None, jpki_reference::http::MAX_CONTROL_BYTES as u64) {
            Ok(answer) if answer.status == 200 => Ok(answer.body),
            Ok(answer) => Err(match ErrorMessage::from_bytes(&answer.body) {
                Ok(m) if m.code == jpki_reference::Code::UnknownEndpoint => ControlError::Missing,
                Ok(m) => {
                    ControlError::Failed(format!("control {name} refused with {}: {}", answer.status, m.to_error()))
                }
                Err(_) => ControlError::Failed(format!("control {name} answered {}", answer.status)),
            }),
            Err(e) => Err(ControlError::Failed(e)),
        }
    }

    /// A control the check needs: one the server lacks skips the check with
    /// that reason; one that fails ends it as a broken set-up.
    fn control_or_fail(&self, name: &str, body: &[u8]) -> Vec<u8> {
        match self.try_control(name, body) {
            Ok(answer) => answer,
            Err(ControlError::Missing) => {
                missing(format!("the server offers no `{name}` test control (spec/http.md §5)"))
            }
            Err(ControlError::Failed(detail)) => broken(detail),
        }
    }

    fn set_clock(&mut self, now: UnixTime) {
        if self.clock != Some(now) {
            self.control_or_fail("clock", &control_map(vec![("now", Value::Integer(now.into()))]));
            self.clock = Some(now);
        }
    }

    fn url(&self, endpoint: Endpoint, rp: &str) -> String {
        format!("{}{}", self.base, endpoint.path(rp))
    }
}

/// Judges an answer against the binding: the step's answer, or its refusal.
pub fn judge(endpoint: Endpoint, received: std::result::Result<Received, String>) -> Result<Vec<u8>> {
    let received = received.unwrap_or_else(|e| fail_on("HTTP-007", "an answer", format!("none: {e}")));
    if received.status >= 500 && received.status != 503 {
        fail_on("HTTP-007", "no 5xx for input", format!("{} at {}", received.status, endpoint.spec_path()));
    }
    if received.content_type.as_deref() != Some(jpki_reference::http::CONTENT_TYPE) {
        fail_on(
            "HTTP-006",
            "Content-Type: application/cbor",
            format!("{:?} at {}", received.content_type, endpoint.spec_path()),
        );
    }
    if received.status == 200 {
        return Ok(received.body);
    }
    let error = match ErrorMessage::from_bytes(&received.body) {
        Ok(message) => message.to_error(),
        Err(e) => fail_on("HTTP-006", "an Error message with a refusal", format!("{}: {e}", received.status)),
    };
    if status_of(error.code) != received.status {
        fail_on(
            "HTTP-006",
            format!("{} with {}", error.code, status_of(error.code)),
            format!("{} with {}", error.code, received.status),
        );
    }
    Err(error)
}

fn send(shared: &Shared, endpoint: Endpoint, rp: &str, body: &[u8], now: UnixTime) -> Result<Vec<u8>> {
    let mut connection = shared.borrow_mut();
    connection.set_clock(now);
    let url = connection.url(endpoint, rp);
    let received = connection.client.post(&url, body, Some(&fresh_key()));
    judge(endpoint, received)
}

fn output(shared: &Shared, response: Result<Vec<u8>>) -> Result<IssuerOutput> {
    // the server sent its feed to the suite's Status before answering (HTTP-011)
    let status_feed = shared.borrow().counterpart.take_feeds();
    response.map(|response| IssuerOutput { response, status_feed })
}

fn observation<T: serde::de::DeserializeOwned>(shared: &Shared, name: &str) -> T {
    let bytes = shared.borrow().control_or_fail(name, &control_map(vec![]));
    ciborium::from_reader(bytes.as_slice()).unwrap_or_else(|e| broken(format!("{name}: {e}")))
}

fn load<T: serde::Serialize>(shared: &Shared, name: &str, observation: &T) -> Result<()> {
    let mut body = Vec::new();
    if let Err(e) = ciborium::into_writer(observation, &mut body) {
        broken(format!("{name}: {e}"));
    }
    shared.borrow().control_or_fail(name, &body);
    Ok(())
}

/// The Issuer of a server under test.
pub struct HttpIssuer(Shared);

impl IssuerRole for HttpIssuer {
    fn challenge(&mut self, now: UnixTime) -> Result<Vec<u8>> {
        send(&self.0, Endpoint::Challenge, "", &[], now)
    }
    fn issue(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let response = send(&self.0, Endpoint::Issue, "", request, now);
        output(&self.0, response)
    }
    fn migrate(&mut self, intent: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let response = send(&self.0, Endpoint::Migrate, "", intent, now);
        output(&self.0, response)
    }
    fn holder_action(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let response = send(&self.0, Endpoint::HolderAction, "", request, now);
        output(&self.0, response)
    }
    fn device_revocation(&mut self, request: &[u8], now: UnixTime) -> Result<IssuerOutput> {
        let response = send(&self.0, Endpoint::DeviceRevocation, "", request, now);
        output(&self.0, response)
    }
    fn deliver_wipes(&mut self, device: &Digest) -> Vec<Vec<u8>> {
        let now = self.0.borrow().clock.unwrap_or(WORLD_START);
        let poll = WipePoll { device: *device }.to_bytes().unwrap_or_else(|e| broken(e.to_string()));
        match send(&self.0, Endpoint::Wipes, "", &poll, now).and_then(|b| WipeCommands::from_bytes(&b)) {
            Ok(commands) => commands.commands,
            Err(e) => fail_on("HTTP-006", "the wipe commands", format!("refused: {e}")),
        }
    }
    fn acknowledge_wipe(&mut self, receipt: &[u8], now: UnixTime) -> Result<()> {
        send(&self.0, Endpoint::WipeReceipt, "", receipt, now).map(|_| ())
    }
    fn register_card(&mut self, auth_serial: &[u8], sign_serial: &[u8], not_after: UnixTime) {
        let body = control_map(vec![
            ("auth", Value::Bytes(auth_serial.to_vec())),
            ("sign", Value::Bytes(sign_serial.to_vec())),
            ("not_after", Value::Integer(not_after.into())),
        ]);
        self.0.borrow().control_or_fail("register-card", &body);
    }
    fn card_event(&mut self, holder: &[u8], event: CardEvent, now: UnixTime) -> Result<IssuerOutput> {
        let event = match event {
            CardEvent::SignRevoked => "sign_revoked",
            CardEvent::AuthRevoked => "auth_revoked",
        };
        self.0.borrow_mut().set_clock(now);
        let body = control_map(vec![("holder", Value::Bytes(holder.to_vec())), ("event", Value::Text(event.into()))]);
        let answer = self.0.borrow().control("card-event", &body);
        match answer {
            Ok(_) => output(&self.0, Ok(Vec::new())),
            Err(e) => broken(e),
        }
    }
    fn observe(&self) -> IssuerObservation {
        observation(&self.0, "observe/issuer")
    }
    fn load(&mut self, state: IssuerObservation) -> Result<()> {
        load(&self.0, "load/issuer", &state)
    }
}

/// The Status of a server under test.
pub struct HttpStatus(Shared);

impl StatusRole for HttpStatus {
    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> Result<()> {
        send(&self.0, Endpoint::StatusFeed, "", feed, now).map(|_| ())
    }
    fn answer(&mut self, request: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        send(&self.0, Endpoint::StatusQuery, "", request, now)
    }
    fn list(&mut self, chunk: u64, now: UnixTime) -> Result<Vec<u8>> {
        let mut connection = self.0.borrow_mut();
        connection.set_clock(now);
        let url = format!("{}{}", connection.base, jpki_reference::http::list_path(chunk));
        let received = connection.client.get(&url);
        // judged as the binding judges any answer (HTTP-006, HTTP-007)
        judge(Endpoint::StatusQuery, received)
    }
    fn observe(&self) -> StatusObservation {
        observation(&self.0, "observe/status")
    }
    fn load(&mut self, state: StatusObservation) -> Result<()> {
        load(&self.0, "load/status", &state)
    }
}

/// A verifier of a server under test.
pub struct HttpVerifier {
    shared: Shared,
    rp_id: String,
}

impl VerifierRole for HttpVerifier {
    fn rp_id(&self) -> &str {
        &self.rp_id
    }
    fn request(&mut self, kind: Kind, purpose: &str, digest: Option<Digest>, now: UnixTime) -> Result<Vec<u8>> {
        let order = UseOrder { kind, purpose: purpose.to_owned(), document_digest: digest };
        let body = order.to_bytes().unwrap_or_else(|e| broken(format!("UseOrder: {e}")));
        send(&self.shared, Endpoint::UseRequest, &self.rp_id, &body, now)
    }
    fn verify(
        &mut self,
        assertion: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<(Vec<u8>, u32)> {
        let outcome = self.post_answering_status(Endpoint::UseVerify, assertion, now, status)?;
        let outcome = UseOutcome::from_bytes(&outcome)
            .unwrap_or_else(|e| fail_on("HTTP-006", "a UseOutcome", format!("undecodable: {e}")));
        Ok((outcome.serial, outcome.counter))
    }
    fn mdoc_request(&mut self, elements: &[String], now: UnixTime) -> Result<Vec<u8>> {
        let body = jpki_reference::mdoc::session::items_wanted_to_bytes(elements)
            .unwrap_or_else(|e| broken(format!("ItemsWanted: {e}")));
        send(&self.shared, Endpoint::MdocRequest, &self.rp_id, &body, now)
    }
    fn mdoc_verify(
        &mut self,
        presentation: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<Vec<u8>> {
        self.post_answering_status(Endpoint::MdocVerify, presentation, now, status)
    }
    fn observe(&self) -> VerifierObservation {
        observation(&self.shared, &format!("observe/verifier/{}", self.rp_id))
    }
    fn load(&mut self, state: VerifierObservation) -> Result<()> {
        load(&self.shared, &format!("load/verifier/{}", self.rp_id), &state)
    }
}

impl HttpVerifier {
    /// Posts `body` to `endpoint` and, while the server asks the suite's
    /// Status, answers each query with `status`; returns the judged answer.
    fn post_answering_status(
        &mut self,
        endpoint: Endpoint,
        body: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<Vec<u8>> {
        let (url, client, events) = {
            let mut connection = self.shared.borrow_mut();
            connection.set_clock(now);
            (connection.url(endpoint, &self.rp_id), connection.client.clone(), connection.counterpart.sender())
        };
        // the server asks the suite's Status while this thread waits: answer each query here
        let body = body.to_vec();
        let recorder = jpki_server::client::timings::Recorder::current();
        std::thread::spawn(move || {
            if let Some(recorder) = recorder {
                recorder.attach();
            }
            let _ = events.send(Event::Answered(client.post(&url, &body, Some(&fresh_key()))));
        });
        let received = loop {
            let event = self.shared.borrow().counterpart.events.recv_timeout(STEP_TIMEOUT);
            match event {
                Ok(Event::StatusQuery { request, reply }) => {
                    let _ = reply.send(status(request));
                }
                Ok(Event::Answered(received)) => break received,
                Err(_) => fail_on("HTTP-007", "an answer to verify", "none within the step timeout"),
            }
        };
        judge(endpoint, received)
    }
}

/// The roles a server hosts, for one world; the reference plays the rest.
pub struct HttpBinding(Shared);

impl HttpBinding {
    /// Resets the server for one world.
    pub fn start(base: &str, seed: &[u8; 32], mutation: Option<&str>) -> HttpBinding {
        match Connection::open(base, seed, mutation) {
            Ok(connection) => HttpBinding(Rc::new(RefCell::new(connection))),
            Err(e) => broken(format!("cannot set up the server at {base}: {e}")),
        }
    }

    /// As [`start`](Self::start), keeping the server's records.
    pub fn attach(base: &str, seed: &[u8; 32]) -> HttpBinding {
        HttpBinding::attach_running(base, seed, None)
    }

    /// As [`attach`](Self::attach), the server running built-in mutant
    /// `mutation` (a second world on a server another world set up so).
    pub fn attach_running(base: &str, seed: &[u8; 32], mutation: Option<&str>) -> HttpBinding {
        match Connection::attach(base, seed, mutation) {
            Ok(connection) => HttpBinding(Rc::new(RefCell::new(connection))),
            Err(e) => broken(format!("cannot attach to the server at {base}: {e}")),
        }
    }

    /// Whether the server's `reset` answer listed `role` (it serves no wallet).
    pub fn serves(&self, role: ServedRole) -> bool {
        // a server serves no wallet
        role != ServedRole::Device && self.0.borrow().roles.iter().any(|r| r == role.as_str())
    }
}

impl Binding for HttpBinding {
    fn issuer(&mut self, _reference: &ReferenceIssuer) -> Option<Box<dyn IssuerRole>> {
        self.serves(ServedRole::Issuer).then(|| Box::new(HttpIssuer(self.0.clone())) as Box<dyn IssuerRole>)
    }
    fn status(&mut self, _reference: &ReferenceStatus) -> Option<Box<dyn StatusRole>> {
        self.serves(ServedRole::Status).then(|| Box::new(HttpStatus(self.0.clone())) as Box<dyn StatusRole>)
    }
    fn verifier(&mut self, reference: &ReferenceVerifier) -> Option<Box<dyn VerifierRole>> {
        let verifier = HttpVerifier { shared: self.0.clone(), rp_id: reference.rp_id().to_owned() };
        self.serves(ServedRole::Verifier).then(|| Box::new(verifier) as Box<dyn VerifierRole>)
    }
    fn device(&mut self, _name: &str, _reference: &ReferenceDevice) -> Option<Box<dyn DeviceRole>> {
        None
    }
}
