//! The role traits implemented over a shim: each call becomes a request to
//! the adapter process. A refusal comes back as the registry code; an
//! "unimplemented" answer ends the check as `unimplemented`; a crashed, hung
//! or babbling adapter ends it as `fail` with what happened.
//!
//! These adapters run inside a check script (the role traits have no room
//! for "the SUT is gone"), so they end the script the way scripts end: with
//! a `Failure` or `Unimplemented` panic payload the runner turns into an outcome.
#![allow(clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;

use ciborium::Value;
use jpki_reference::Error;
use jpki_reference::card::CardKey;
use jpki_reference::device::{IssuanceChoice, UserVerification};
use jpki_reference::issuer::{CardEvent, IssuerOutput};
use jpki_reference::msgs::{Digest, Kind};
use jpki_reference::observation::{DeviceObservation, IssuerObservation, StatusObservation, VerifierObservation};
use jpki_reference::roles::{
    CardAccess, DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier,
    StatusRole, VerifierRole,
};
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::StatusAnswer;

use super::client::{Received, ShimClient, ShimError};
use super::frame::{self, int, list, map};
use crate::outcome::{Unimplemented, broken};
use crate::{Binding, ServedRole};

type Shared = Rc<RefCell<ShimClient>>;

fn exchange(
    client: &Shared,
    method: &str,
    params: Value,
    on_callback: &mut dyn FnMut(&str, &Value) -> Value,
) -> Result<Value, ShimError> {
    // The client is borrowed only for each send and receive, never across a
    // call-back, which may itself call the shim (Status answering a verifier).
    let id = client.borrow_mut().send_request(method, params)?;
    loop {
        let received = client.borrow_mut().receive(id, method)?;
        match received {
            Received::Answer(answer) => return answer,
            Received::Callback { id: cid, name, params } => {
                let answer = on_callback(&name, &params);
                client.borrow_mut().answer_callback(cid, answer)?;
            }
        }
    }
}

fn call_with(
    client: &Shared,
    method: &str,
    params: Value,
    on_callback: &mut dyn FnMut(&str, &Value) -> Value,
) -> Result<Value, Error> {
    match exchange(client, method, params, on_callback) {
        Ok(value) => Ok(value),
        Err(ShimError::Refused(error)) => Err(error),
        Err(ShimError::Unimplemented(method)) => std::panic::panic_any(Unimplemented(method)),
        Err(ShimError::Broken(detail)) => broken(detail),
    }
}

fn call(client: &Shared, method: &str, params: Value) -> Result<Value, Error> {
    call_with(client, method, params, &mut |_, _| Value::Null)
}

fn protocol_error(detail: String) -> ! {
    broken(detail)
}

fn bytes_of(value: Value, what: &str) -> Vec<u8> {
    match value {
        Value::Bytes(b) => b,
        _ => protocol_error(format!("{what}: expected a byte string")),
    }
}

/// What the adapter answers to an observation method, read in the
/// observation form (spec/observation.cddl).
fn observe<T: serde::de::DeserializeOwned>(client: &Shared, method: &str, params: Value) -> T {
    match call(client, method, params) {
        Ok(value) => value.deserialized().unwrap_or_else(|e| protocol_error(format!("{method}: {e}"))),
        Err(e) => protocol_error(format!("{method} refused: {e}")),
    }
}

/// An observation as a request parameter.
fn observation<T: serde::Serialize>(observation: &T) -> Value {
    Value::serialized(observation).unwrap_or_else(|e| protocol_error(format!("observation: {e}")))
}

fn output(value: Value) -> IssuerOutput {
    let response = frame::bytes(&value, "response").unwrap_or_else(|e| protocol_error(e));
    let status_feed = frame::byte_list(&value, "feed").unwrap_or_else(|e| protocol_error(e));
    IssuerOutput { response, status_feed }
}

fn request_and_now(request: &[u8], now: UnixTime) -> Value {
    map(vec![("request", Value::Bytes(request.to_vec())), ("now", int(now))])
}

/// The Issuer behind a shim.
pub struct ShimIssuer(Shared);

impl IssuerRole for ShimIssuer {
    fn challenge(&mut self, now: UnixTime) -> jpki_reference::Result<Vec<u8>> {
        call(&self.0, "issuer.challenge", map(vec![("now", int(now))])).map(|v| bytes_of(v, "challenge"))
    }
    fn issue(&mut self, request: &[u8], now: UnixTime) -> jpki_reference::Result<IssuerOutput> {
        call(&self.0, "issuer.issue", request_and_now(request, now)).map(output)
    }
    fn migrate(&mut self, intent: &[u8], now: UnixTime) -> jpki_reference::Result<IssuerOutput> {
        call(&self.0, "issuer.migrate", request_and_now(intent, now)).map(output)
    }
    fn holder_action(&mut self, request: &[u8], now: UnixTime) -> jpki_reference::Result<IssuerOutput> {
        call(&self.0, "issuer.holder_action", request_and_now(request, now)).map(output)
    }
    fn device_revocation(&mut self, request: &[u8], now: UnixTime) -> jpki_reference::Result<IssuerOutput> {
        call(&self.0, "issuer.device_revocation", request_and_now(request, now)).map(output)
    }
    fn deliver_wipes(&mut self, device: &Digest) -> Vec<Vec<u8>> {
        match call(&self.0, "issuer.deliver_wipes", map(vec![("device", Value::Bytes(device.to_vec()))])) {
            Ok(value) => {
                frame::byte_list(&map(vec![("commands", value)]), "commands").unwrap_or_else(|e| protocol_error(e))
            }
            Err(e) => protocol_error(format!("issuer.deliver_wipes refused: {e}")),
        }
    }
    fn acknowledge_wipe(&mut self, receipt: &[u8], now: UnixTime) -> jpki_reference::Result<()> {
        call(
            &self.0,
            "issuer.acknowledge_wipe",
            map(vec![("receipt", Value::Bytes(receipt.to_vec())), ("now", int(now))]),
        )
        .map(|_| ())
    }
    fn register_card(&mut self, auth_serial: &[u8], sign_serial: &[u8], not_after: UnixTime) {
        let params = map(vec![
            ("auth", Value::Bytes(auth_serial.to_vec())),
            ("sign", Value::Bytes(sign_serial.to_vec())),
            ("not_after", int(not_after)),
        ]);
        if let Err(e) = call(&self.0, "issuer.register_card", params) {
            protocol_error(format!("issuer.register_card refused: {e}"));
        }
    }
    fn card_event(&mut self, holder: &[u8], event: CardEvent, now: UnixTime) -> jpki_reference::Result<IssuerOutput> {
        let event = match event {
            CardEvent::SignRevoked => "sign_revoked",
            CardEvent::AuthRevoked => "auth_revoked",
        };
        let params = map(vec![
            ("holder", Value::Bytes(holder.to_vec())),
            ("event", Value::Text(event.into())),
            ("now", int(now)),
        ]);
        call(&self.0, "issuer.card_event", params).map(output)
    }
    fn observe(&self) -> IssuerObservation {
        observe(&self.0, "issuer.observe", map(vec![]))
    }
    fn load(&mut self, state: IssuerObservation) -> jpki_reference::Result<()> {
        call(&self.0, "issuer.load", map(vec![("observation", observation(&state))])).map(|_| ())
    }
}

/// Status behind a shim.
pub struct ShimStatus(Shared);

impl StatusRole for ShimStatus {
    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> jpki_reference::Result<()> {
        let params = map(vec![("feed", Value::Bytes(feed.to_vec())), ("now", Value::Integer(now.into()))]);
        call(&self.0, "status.apply_feed", params).map(|_| ())
    }
    fn answer(&mut self, request: &[u8], now: UnixTime) -> jpki_reference::Result<Vec<u8>> {
        call(&self.0, "status.answer", request_and_now(request, now)).map(|v| bytes_of(v, "status answer"))
    }
    fn list(&mut self, chunk: u64, now: UnixTime) -> jpki_reference::Result<Vec<u8>> {
        let params = map(vec![("chunk", Value::Integer(chunk.into())), ("now", Value::Integer(now.into()))]);
        call(&self.0, "status.list", params).map(|v| bytes_of(v, "status list"))
    }
    fn observe(&self) -> StatusObservation {
        observe(&self.0, "status.observe", map(vec![]))
    }
    fn load(&mut self, state: StatusObservation) -> jpki_reference::Result<()> {
        call(&self.0, "status.load", map(vec![("observation", observation(&state))])).map(|_| ())
    }
}

/// A verifier behind a shim.
pub struct ShimVerifier {
    client: Shared,
    rp_id: String,
}

/// How a status answer travels in the `status.answer` call-back.
pub fn encode_status_answer(answer: &StatusAnswer) -> Value {
    let (kind, bytes) = match answer {
        StatusAnswer::Response(b) => ("response", b.clone()),
        StatusAnswer::Refused(b) => ("refused", b.clone()),
        StatusAnswer::Unreachable => ("unreachable", Vec::new()),
    };
    map(vec![("kind", Value::Text(kind.into())), ("bytes", Value::Bytes(bytes))])
}

/// The inverse of [`encode_status_answer`].
pub fn decode_status_answer(value: &Value) -> Result<StatusAnswer, String> {
    let bytes = frame::bytes(value, "bytes")?;
    match frame::text(value, "kind")?.as_str() {
        "response" => Ok(StatusAnswer::Response(bytes)),
        "refused" => Ok(StatusAnswer::Refused(bytes)),
        "unreachable" => Ok(StatusAnswer::Unreachable),
        other => Err(format!("unknown status answer kind {other:?}")),
    }
}

impl VerifierRole for ShimVerifier {
    fn rp_id(&self) -> &str {
        &self.rp_id
    }
    fn request(
        &mut self,
        kind: Kind,
        purpose: &str,
        digest: Option<Digest>,
        now: UnixTime,
    ) -> jpki_reference::Result<Vec<u8>> {
        let mut params = vec![
            ("rp", Value::Text(self.rp_id.clone())),
            ("kind", int(kind.wire())),
            ("purpose", Value::Text(purpose.into())),
            ("now", int(now)),
        ];
        if let Some(d) = digest {
            params.push(("digest", Value::Bytes(d.to_vec())));
        }
        call(&self.client, "verifier.request", map(params)).map(|v| bytes_of(v, "use request"))
    }
    fn verify(
        &mut self,
        assertion: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> jpki_reference::Result<(Vec<u8>, u32)> {
        let params = map(vec![
            ("rp", Value::Text(self.rp_id.clone())),
            ("assertion", Value::Bytes(assertion.to_vec())),
            ("now", int(now)),
        ]);
        let mut on_callback = |name: &str, params: &Value| match (name, frame::bytes(params, "request")) {
            ("status.answer", Ok(request)) => encode_status_answer(&status(request)),
            _ => Value::Null,
        };
        let value = call_with(&self.client, "verifier.verify", params, &mut on_callback)?;
        let serial = frame::bytes(&value, "serial").unwrap_or_else(|e| protocol_error(e));
        let counter = frame::uint(&value, "counter").unwrap_or_else(|e| protocol_error(e));
        Ok((serial, u32::try_from(counter).unwrap_or_else(|_| protocol_error("counter exceeds 32 bits".into()))))
    }
    fn mdoc_request(&mut self, elements: &[String], now: UnixTime) -> jpki_reference::Result<Vec<u8>> {
        let params = map(vec![
            ("rp", Value::Text(self.rp_id.clone())),
            ("elements", Value::Array(elements.iter().map(|e| Value::Text(e.clone())).collect())),
            ("now", int(now)),
        ]);
        call(&self.client, "verifier.mdoc_request", params).map(|v| bytes_of(v, "mdoc request"))
    }
    fn mdoc_verify(
        &mut self,
        presentation: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> jpki_reference::Result<Vec<u8>> {
        let params = map(vec![
            ("rp", Value::Text(self.rp_id.clone())),
            ("presentation", Value::Bytes(presentation.to_vec())),
            ("now", int(now)),
        ]);
        let mut on_callback = |name: &str, params: &Value| match (name, frame::bytes(params, "request")) {
            ("status.answer", Ok(request)) => encode_status_answer(&status(request)),
            _ => Value::Null,
        };
        call_with(&self.client, "verifier.mdoc_verify", params, &mut on_callback).map(|v| bytes_of(v, "mdoc reading"))
    }
    fn observe(&self) -> VerifierObservation {
        observe(&self.client, "verifier.observe", map(vec![("rp", Value::Text(self.rp_id.clone()))]))
    }
    fn load(&mut self, state: VerifierObservation) -> jpki_reference::Result<()> {
        let params = map(vec![("rp", Value::Text(self.rp_id.clone())), ("observation", observation(&state))]);
        call(&self.client, "verifier.load", params).map(|_| ())
    }
}

/// A device behind a shim.
pub struct ShimDevice {
    client: Shared,
    name: String,
}

impl ShimDevice {
    fn params(&self, mut extra: Vec<(&str, Value)>) -> Value {
        extra.push(("name", Value::Text(self.name.clone())));
        map(extra)
    }
}

impl DeviceRole for ShimDevice {
    fn digest(&self) -> jpki_reference::Result<Digest> {
        let bytes = call(&self.client, "device.digest", self.params(vec![])).map(|v| bytes_of(v, "digest"))?;
        bytes.try_into().map_err(|_| Error::new(jpki_reference::Code::Malformed, "a device digest is 32 bytes"))
    }
    fn prepare_issuance(
        &mut self,
        challenge: &[u8],
        choice: &IssuanceChoice,
        now: UnixTime,
    ) -> jpki_reference::Result<Vec<u8>> {
        let params = self.params(vec![
            ("challenge", Value::Bytes(challenge.to_vec())),
            ("kinds", Value::Array(choice.kinds.iter().map(|k| int(k.wire())).collect())),
            ("address", Value::Text(choice.notification_address.clone())),
            ("idempotency_key", Value::Bytes(choice.idempotency_key.to_vec())),
            ("replaces", list(&choice.replaces)),
            ("qualification", int(choice.qualification as u64)),
            ("now", int(now)),
        ]);
        call(&self.client, "device.prepare_issuance", params).map(|v| bytes_of(v, "payload"))
    }
    fn request_issuance(
        &mut self,
        challenge: &[u8],
        choice: &IssuanceChoice,
        now: UnixTime,
        card: &mut dyn CardAccess,
    ) -> jpki_reference::Result<Vec<u8>> {
        let params = self.params(vec![
            ("challenge", Value::Bytes(challenge.to_vec())),
            ("kinds", Value::Array(choice.kinds.iter().map(|k| int(k.wire())).collect())),
            ("address", Value::Text(choice.notification_address.clone())),
            ("idempotency_key", Value::Bytes(choice.idempotency_key.to_vec())),
            ("replaces", list(&choice.replaces)),
            ("qualification", int(choice.qualification as u64)),
            ("now", int(now)),
        ]);
        let mut on_callback = |name: &str, params: &Value| answer_card(card, name, params);
        call_with(&self.client, "device.request_issuance", params, &mut on_callback).map(|v| bytes_of(v, "request"))
    }
    fn install(&mut self, response: &[u8], now: UnixTime) -> jpki_reference::Result<()> {
        let params = self.params(vec![("response", Value::Bytes(response.to_vec())), ("now", int(now))]);
        call(&self.client, "device.install", params).map(|_| ())
    }
    fn assert(&mut self, use_request: &[u8], uv: UserVerification, now: UnixTime) -> jpki_reference::Result<Vec<u8>> {
        let params = self.params(vec![
            ("request", Value::Bytes(use_request.to_vec())),
            ("verified", Value::Bool(uv.verified)),
            ("method", int(uv.method.wire())),
            ("now", int(now)),
        ]);
        call(&self.client, "device.assert", params).map(|v| bytes_of(v, "assertion"))
    }
    fn present_mdoc(
        &mut self,
        request: &[u8],
        approved: &[String],
        uv: UserVerification,
        now: UnixTime,
    ) -> jpki_reference::Result<Vec<u8>> {
        let params = self.params(vec![
            ("request", Value::Bytes(request.to_vec())),
            ("approved", Value::Array(approved.iter().map(|e| Value::Text(e.clone())).collect())),
            ("verified", Value::Bool(uv.verified)),
            ("method", int(uv.method.wire())),
            ("now", int(now)),
        ]);
        call(&self.client, "device.present_mdoc", params).map(|v| bytes_of(v, "mdoc presentation"))
    }
    fn sign_lifecycle(&mut self, payload: &[u8], uv: UserVerification) -> jpki_reference::Result<Vec<u8>> {
        let params = self.params(vec![
            ("payload", Value::Bytes(payload.to_vec())),
            ("verified", Value::Bool(uv.verified)),
            ("method", int(uv.method.wire())),
        ]);
        call(&self.client, "device.sign_lifecycle", params).map(|v| bytes_of(v, "signed"))
    }
    fn installed_serials(&self) -> jpki_reference::Result<Vec<Vec<u8>>> {
        let value = call(&self.client, "device.installed_serials", self.params(vec![]))?;
        Ok(frame::byte_list(&map(vec![("serials", value)]), "serials").unwrap_or_else(|e| protocol_error(e)))
    }
    fn apply_wipe(&mut self, command: &[u8], now: UnixTime) -> jpki_reference::Result<Vec<u8>> {
        let params = self.params(vec![("command", Value::Bytes(command.to_vec())), ("now", int(now))]);
        call(&self.client, "device.apply_wipe", params).map(|v| bytes_of(v, "receipt"))
    }
    fn release(&mut self) {
        if let Err(e) = call(&self.client, "device.release", self.params(vec![])) {
            protocol_error(format!("device.release refused: {e}"));
        }
    }
    fn observe(&self) -> DeviceObservation {
        observe(&self.client, "device.observe", self.params(vec![]))
    }
}

/// The card key a call-back names.
pub fn card_key(name: &str) -> Option<CardKey> {
    match name {
        "sign" => Some(CardKey::Sign),
        "auth" => Some(CardKey::Auth),
        _ => None,
    }
}

/// Answers the wallet's `card.certificate` and `card.sign` call-backs with the suite's card.
fn answer_card(card: &mut dyn CardAccess, name: &str, params: &Value) -> Value {
    let key = frame::text(params, "key").ok().and_then(|k| card_key(&k));
    let result = match (name, key) {
        ("card.certificate", Some(key)) => card.certificate(key).map(Value::Bytes),
        ("card.sign", Some(key)) => match frame::bytes(params, "message") {
            Ok(message) => card.sign(key, &message).map(|sig| Value::Bytes(sig.to_vec())),
            Err(e) => Err(Error::with_detail(jpki_reference::Code::Malformed, e)),
        },
        _ => Err(Error::with_detail(jpki_reference::Code::Malformed, format!("unknown call-back {name}"))),
    };
    match result {
        Ok(value) => map(vec![("ok", value)]),
        Err(e) => map(vec![(
            "error",
            map(vec![("code", Value::Text(e.code.as_str().into())), ("detail", Value::Text(e.detail.to_string()))]),
        )]),
    }
}

/// The roles an adapter serves, for one world; the reference plays the rest.
pub struct ShimBinding(Shared);

impl ShimBinding {
    /// Starts the adapter for one world.
    pub fn start(command: &str, seed: &[u8; 32], mutation: Option<&str>) -> ShimBinding {
        match ShimClient::start(command, seed, mutation) {
            Ok(client) => ShimBinding(Rc::new(RefCell::new(client))),
            Err(ShimError::Unimplemented(method)) => std::panic::panic_any(Unimplemented(method)),
            Err(ShimError::Refused(e)) => protocol_error(format!("hello refused: {e}")),
            Err(ShimError::Broken(detail)) => protocol_error(detail),
        }
    }

    /// Whether the adapter's `hello` listed `role`.
    pub fn serves(&self, role: ServedRole) -> bool {
        self.0.borrow().roles.iter().any(|r| r == role.as_str())
    }
}

impl Binding for ShimBinding {
    fn issuer(&mut self, _reference: &ReferenceIssuer) -> Option<Box<dyn IssuerRole>> {
        self.serves(ServedRole::Issuer).then(|| Box::new(ShimIssuer(self.0.clone())) as Box<dyn IssuerRole>)
    }
    fn status(&mut self, _reference: &ReferenceStatus) -> Option<Box<dyn StatusRole>> {
        self.serves(ServedRole::Status).then(|| Box::new(ShimStatus(self.0.clone())) as Box<dyn StatusRole>)
    }
    fn verifier(&mut self, reference: &ReferenceVerifier) -> Option<Box<dyn VerifierRole>> {
        let verifier = ShimVerifier { client: self.0.clone(), rp_id: reference.rp_id().to_owned() };
        self.serves(ServedRole::Verifier).then(|| Box::new(verifier) as Box<dyn VerifierRole>)
    }
    fn device(&mut self, name: &str, _reference: &ReferenceDevice) -> Option<Box<dyn DeviceRole>> {
        if !self.serves(ServedRole::Device) {
            return None;
        }
        if let Err(e) = call(&self.0, "device.create", map(vec![("name", Value::Text(name.into()))])) {
            protocol_error(format!("device.create refused: {e}"));
        }
        Some(Box::new(ShimDevice { client: self.0.clone(), name: name.to_owned() }))
    }
}
