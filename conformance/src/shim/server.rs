//! The template shim's server side: the reference behind the shim protocol.
//! `jpki-shim-reference` is a thin binary over [`serve`]; a vendor copies
//! its shape and calls their own implementation where this calls the
//! reference. For the suite's own tests it can misbehave on purpose
//! (`JPKI_SHIM_FAULT=crash|hang|garbage:METHOD`; a Status whose badly signed
//! answers its own verifier accepts, `JPKI_SHIM_FAULT=bad-status-signature:status.answer`;
//! `JPKI_SHIM_FAULT=unimplemented:METHOD,METHOD`), speak another shim
//! version (`JPKI_SHIM_FAULT=version:N`), play the null adapter
//! (`JPKI_SHIM_FAULT=null:ROLE,ROLE`: claims the roles in `hello`, answers
//! `unimplemented` to everything else), or have its verifiers draw their
//! nonces from the operating system's randomness as a product does
//! (`JPKI_SHIM_NONCES=os`; `constant`: always the same nonce, a bug), and
//! its wallets their secure-element keys (`JPKI_SHIM_KEYS=os`).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use ciborium::Value;
use jpki_reference::card::CardKey;
use jpki_reference::device::{IssuanceChoice, UserVerification};
use jpki_reference::issuer::{CardEvent, IssuerOutput};
use jpki_reference::msgs::{Kind, UvMethod};
use jpki_reference::mutants::{Family, Mutation};
use jpki_reference::roles::{
    CardAccess, DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier,
    StatusRole, VerifierRole,
};
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::world::ReferenceSetup;
use jpki_reference::{Code, Error};

use super::frame::{self, get, int, list, map, read_frame, write_frame};
use super::roles::decode_status_answer;

/// Why a request was not answered with `ok`.
enum Refusal {
    Error(Error),
    Unimplemented,
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Error(e)
    }
}

fn bad(detail: String) -> Refusal {
    Refusal::Error(Error::with_detail(Code::Malformed, detail))
}

type Answer = Result<Value, Refusal>;

/// The shim protocol version this adapter speaks (SHIM.md, "Versions").
pub const SHIM_VERSION: u64 = 3;

struct Roles {
    setup: ReferenceSetup,
    issuer: ReferenceIssuer,
    status: ReferenceStatus,
    verifiers: BTreeMap<String, ReferenceVerifier>,
    devices: BTreeMap<String, ReferenceDevice>,
}

/// One session of the template shim.
pub struct Server<R: Read, W: Write> {
    input: R,
    output: W,
    roles: Option<Roles>,
    fault: Option<(String, String)>,
    next_callback: u64,
    nonces: Option<String>,
    os_keys: bool,
}

fn output_value(output: IssuerOutput) -> Value {
    map(vec![("response", Value::Bytes(output.response)), ("feed", list(&output.status_feed))])
}

/// An observation as the answer's CBOR value (spec/observation.cddl).
fn observation_value<T: serde::Serialize>(observation: &T) -> Answer {
    Value::serialized(observation).map_err(|e| bad(format!("observation: {e}")))
}

/// The `observation` parameter of a `*.load` request.
fn observation_param<T: serde::de::DeserializeOwned>(p: &Value) -> Result<T, Refusal> {
    let value = get(p, "observation").ok_or_else(|| bad("no observation".into()))?;
    value.deserialized().map_err(|e| bad(format!("observation: {e}")))
}

/// 32 bytes from the operating system's randomness.
fn os_nonce() -> Result<jpki_reference::msgs::Nonce, Refusal> {
    let mut nonce = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut nonce))
        .map_err(|e| bad(format!("no randomness: {e}")))?;
    Ok(nonce)
}

/// Flips the last byte (of a COSE_Sign1, a byte of its signature).
fn flip_last_byte(bytes: &mut [u8]) {
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
}

impl<R: Read, W: Write> Server<R, W> {
    /// A session over `input` and `output`, reading faults from the environment.
    pub fn new(input: R, output: W) -> Self {
        let fault = std::env::var("JPKI_SHIM_FAULT")
            .ok()
            .and_then(|f| f.split_once(':').map(|(k, m)| (k.to_owned(), m.to_owned())));
        let nonces = std::env::var("JPKI_SHIM_NONCES").ok();
        let os_keys = std::env::var("JPKI_SHIM_KEYS").is_ok_and(|v| v == "os");
        Server { input, output, roles: None, fault, next_callback: 1_000_000, nonces, os_keys }
    }

    /// Answers requests until the suite closes stdin.
    pub fn serve(&mut self) -> Result<(), String> {
        while let Some(request) = read_frame(&mut self.input)? {
            self.handle(&request)?;
        }
        Ok(())
    }

    fn handle(&mut self, request: &Value) -> Result<(), String> {
        let id = frame::uint(request, "id")?;
        let method = frame::text(request, "method")?;
        let params = get(request, "params").cloned().unwrap_or(Value::Map(vec![]));
        if let Some((kind, target)) = self.fault.clone() {
            if target == method {
                match kind.as_str() {
                    "crash" => std::process::exit(3),
                    "hang" => loop {
                        std::thread::sleep(std::time::Duration::from_secs(3600));
                    },
                    "garbage" => {
                        let _ = self.output.write_all(b"this is not a frame at all\n");
                        let _ = self.output.flush();
                        return Ok(());
                    }
                    _ => {}
                }
            }
        }
        let unimplemented = |(k, m): &(String, String)| k == "unimplemented" && m.split(',').any(|m| m == method);
        let answer = if self.fault.as_ref().is_some_and(unimplemented) {
            Err(Refusal::Unimplemented)
        } else if let Some((_, roles)) = self.fault.as_ref().filter(|(k, _)| k == "null") {
            // the null adapter: claims `roles` and implements nothing
            if method == "hello" {
                let roles = roles.split(',').map(|r| Value::Text(r.to_owned())).collect();
                Ok(map(vec![
                    ("version", int(SHIM_VERSION)),
                    ("identity", Value::Text("null adapter".into())),
                    ("roles", Value::Array(roles)),
                ]))
            } else {
                Err(Refusal::Unimplemented)
            }
        } else {
            self.dispatch(&method, &params)
        };
        let message = match answer {
            Ok(ok) => map(vec![("id", int(id)), ("ok", ok)]),
            Err(Refusal::Unimplemented) => map(vec![("id", int(id)), ("unimplemented", Value::Text(method))]),
            Err(Refusal::Error(e)) => map(vec![
                ("id", int(id)),
                (
                    "error",
                    map(vec![
                        ("code", Value::Text(e.code.as_str().into())),
                        ("detail", Value::Text(e.detail.to_string())),
                    ]),
                ),
            ]),
        };
        write_frame(&mut self.output, &message).map_err(|e| e.to_string())
    }

    /// The shim version this adapter speaks: [`SHIM_VERSION`], or what
    /// `JPKI_SHIM_FAULT=version:N` says (an adapter of another version).
    fn spoken_version(&self) -> u64 {
        match &self.fault {
            Some((kind, n)) if kind == "version" => n.parse().unwrap_or(0),
            _ => SHIM_VERSION,
        }
    }

    fn roles(&mut self) -> Result<&mut Roles, Refusal> {
        self.roles.as_mut().ok_or_else(|| bad("say hello first".into()))
    }

    fn dispatch(&mut self, method: &str, p: &Value) -> Answer {
        let now = || frame::uint(p, "now").map_err(bad);
        let b = |key: &str| frame::bytes(p, key).map_err(bad);
        match method {
            "hello" => {
                let version = frame::uint(p, "version").map_err(bad)?;
                let spoken = self.spoken_version();
                if version != spoken {
                    return Err(Refusal::Error(Error::with_detail(
                        Code::Malformed,
                        format!("this adapter speaks shim protocol v{spoken}, not v{version}"),
                    )));
                }
                let seed: [u8; 32] = b("seed")?.try_into().map_err(|_| bad("seed is 32 bytes".into()))?;
                let mutation = match frame::text(p, "mutation") {
                    Ok(name) => Some(Mutation::from_name(&name).ok_or_else(|| bad(format!("no mutant {name}")))?),
                    Err(_) => None,
                };
                // a step mutant switches shared code off on this thread (Family::Step)
                jpki_reference::mutants::set_ambient(mutation.filter(|m| m.family() == Family::Step));
                let setup = ReferenceSetup::new(seed, mutation)?;
                let verifiers = setup.verifiers()?.into_iter().map(|(rp, v, _)| (rp, v)).collect();
                self.roles = Some(Roles {
                    issuer: setup.issuer()?,
                    status: setup.status(),
                    verifiers,
                    devices: BTreeMap::new(),
                    setup,
                });
                let roles = ["issuer", "status", "verifier", "device"].map(|r| Value::Text(r.into()));
                Ok(map(vec![
                    ("version", int(self.spoken_version())),
                    ("identity", Value::Text(format!("jpki-shim-reference {}", env!("CARGO_PKG_VERSION")))),
                    ("roles", Value::Array(roles.to_vec())),
                ]))
            }
            "issuer.challenge" => Ok(Value::Bytes(self.roles()?.issuer.challenge(now()?)?)),
            "issuer.issue" => Ok(output_value(self.roles()?.issuer.issue(&b("request")?, now()?)?)),
            "issuer.migrate" => Ok(output_value(self.roles()?.issuer.migrate(&b("request")?, now()?)?)),
            "issuer.holder_action" => Ok(output_value(self.roles()?.issuer.holder_action(&b("request")?, now()?)?)),
            "issuer.device_revocation" => {
                Ok(output_value(self.roles()?.issuer.device_revocation(&b("request")?, now()?)?))
            }
            "issuer.deliver_wipes" => {
                let device: [u8; 32] = b("device")?.try_into().map_err(|_| bad("device is 32 bytes".into()))?;
                Ok(list(&self.roles()?.issuer.deliver_wipes(&device)))
            }
            "issuer.acknowledge_wipe" => {
                self.roles()?.issuer.acknowledge_wipe(&b("receipt")?, now()?)?;
                Ok(Value::Null)
            }
            "issuer.register_card" => {
                let not_after = frame::uint(p, "not_after").map_err(bad)?;
                let (auth, sign) = (b("auth")?, b("sign")?);
                self.roles()?.issuer.register_card(&auth, &sign, not_after);
                Ok(Value::Null)
            }
            "issuer.card_event" => {
                let event = match frame::text(p, "event").map_err(bad)?.as_str() {
                    "sign_revoked" => CardEvent::SignRevoked,
                    "auth_revoked" => CardEvent::AuthRevoked,
                    other => return Err(bad(format!("unknown card event {other}"))),
                };
                let holder = b("holder")?;
                Ok(output_value(self.roles()?.issuer.card_event(&holder, event, now()?)?))
            }
            "issuer.observe" => observation_value(&self.roles()?.issuer.observe()),
            "issuer.load" => {
                let observation = observation_param(p)?;
                self.roles()?.issuer.load(observation)?;
                Ok(Value::Null)
            }
            "status.load" => {
                let observation = observation_param(p)?;
                self.roles()?.status.load(observation)?;
                Ok(Value::Null)
            }
            "status.apply_feed" => {
                self.roles()?.status.apply_feed(&b("feed")?, now()?)?;
                Ok(Value::Null)
            }
            "status.answer" => {
                let mut response = self.roles()?.status.answer(&b("request")?, now()?)?;
                if self.pairs_status_bugs() {
                    flip_last_byte(&mut response);
                }
                Ok(Value::Bytes(response))
            }
            "status.list" => {
                let chunk = frame::uint(p, "chunk").map_err(bad)?;
                Ok(Value::Bytes(self.roles()?.status.list(chunk, now()?)?))
            }
            "status.observe" => observation_value(&self.roles()?.status.observe()),
            "verifier.request" => {
                let rp = frame::text(p, "rp").map_err(bad)?;
                let kind = Kind::from_wire(frame::uint(p, "kind").map_err(bad)?)?;
                let purpose = frame::text(p, "purpose").map_err(bad)?;
                let digest = match get(p, "digest") {
                    Some(Value::Bytes(d)) => {
                        Some(d.as_slice().try_into().map_err(|_| bad("digest is 32 bytes".into()))?)
                    }
                    _ => None,
                };
                let now = now()?;
                let nonce = self.drawn_nonce()?;
                let verifier = self.roles()?.verifiers.get_mut(&rp).ok_or_else(|| bad(format!("no verifier {rp}")))?;
                if let Some(nonce) = nonce {
                    verifier.adopt_nonces(vec![nonce]);
                }
                Ok(Value::Bytes(verifier.request(kind, &purpose, digest, now)?))
            }
            "verifier.verify" => self.verify(p),
            "verifier.mdoc_request" => {
                let rp = frame::text(p, "rp").map_err(bad)?;
                let elements = texts(p, "elements")?;
                let now = now()?;
                let nonce = self.drawn_nonce()?;
                let verifier = self.roles()?.verifiers.get_mut(&rp).ok_or_else(|| bad(format!("no verifier {rp}")))?;
                if let Some(nonce) = nonce {
                    verifier.adopt_nonces(vec![nonce]);
                }
                Ok(Value::Bytes(verifier.mdoc_request(&elements, now)?))
            }
            "verifier.mdoc_verify" => self.verify(p),
            "verifier.load" => {
                let rp = frame::text(p, "rp").map_err(bad)?;
                let observation = observation_param(p)?;
                let verifier = self.roles()?.verifiers.get_mut(&rp).ok_or_else(|| bad(format!("no verifier {rp}")))?;
                verifier.load(observation)?;
                Ok(Value::Null)
            }
            "verifier.observe" => {
                let rp = frame::text(p, "rp").map_err(bad)?;
                let verifier = self.roles()?.verifiers.get(&rp).ok_or_else(|| bad(format!("no verifier {rp}")))?;
                observation_value(&verifier.observe())
            }
            "device.create" => {
                let name = frame::text(p, "name").map_err(bad)?;
                let os_keys = self.os_keys;
                let roles = self.roles()?;
                let device = if os_keys {
                    // a wallet whose SE keys come from the operating system's randomness
                    let seed = os_nonce()?;
                    roles.setup.device_drawing_from(&name, jpki_reference::crypto::SeededEntropy::new(&seed, "se-keys"))
                } else {
                    roles.setup.device(&name)
                };
                roles.devices.insert(name, device);
                Ok(Value::Null)
            }
            _ if method.starts_with("device.") => self.device(method, p),
            _ => Err(Refusal::Unimplemented),
        }
    }

    fn device(&mut self, method: &str, p: &Value) -> Answer {
        let name = frame::text(p, "name").map_err(bad)?;
        let b = |key: &str| frame::bytes(p, key).map_err(bad);
        let now = frame::uint(p, "now").ok();
        // the holder's verification for a key use: `verified`, `method` (1 biometric, 2 passcode)
        let uv = || -> Result<UserVerification, Refusal> {
            let verified = matches!(get(p, "verified"), Some(Value::Bool(true)));
            Ok(UserVerification { verified, method: UvMethod::from_wire(frame::uint(p, "method").map_err(bad)?)? })
        };
        if method == "device.request_issuance" {
            let choice = read_choice(p)?;
            let challenge = b("challenge")?;
            let mut device = self.roles()?.devices.remove(&name).ok_or_else(|| bad(format!("no device {name}")))?;
            let mut card = CallbackCard { server: &mut *self, failure: None };
            let result = device.request_issuance(&challenge, &choice, now.unwrap_or_default(), &mut card);
            let failure = card.failure.take();
            self.roles()?.devices.insert(name, device);
            if let Some(e) = failure {
                return Err(bad(format!("card call-back failed: {e}")));
            }
            return Ok(Value::Bytes(result?));
        }
        let device = self.roles()?.devices.get_mut(&name).ok_or_else(|| bad(format!("no device {name}")))?;
        match method {
            "device.digest" => Ok(Value::Bytes(device.digest()?.to_vec())),
            "device.prepare_issuance" => {
                let choice = read_choice(p)?;
                Ok(Value::Bytes(device.prepare_issuance(&b("challenge")?, &choice, now.unwrap_or_default())?))
            }
            "device.install" => {
                device.install(&b("response")?, now.unwrap_or_default())?;
                Ok(Value::Null)
            }
            "device.assert" => Ok(Value::Bytes(device.assert(&b("request")?, uv()?, now.unwrap_or_default())?)),
            "device.present_mdoc" => {
                let approved = texts(p, "approved")?;
                Ok(Value::Bytes(device.present_mdoc(&b("request")?, &approved, uv()?, now.unwrap_or_default())?))
            }
            "device.sign_lifecycle" => Ok(Value::Bytes(device.sign_lifecycle(&b("payload")?, uv()?)?)),
            "device.installed_serials" => Ok(list(&device.installed_serials()?)),
            "device.apply_wipe" => Ok(Value::Bytes(device.apply_wipe(&b("command")?, now.unwrap_or_default())?)),
            "device.release" => {
                device.release();
                Ok(Value::Null)
            }
            "device.observe" => observation_value(&device.observe()),
            _ => Err(Refusal::Unimplemented),
        }
    }

    /// verifier.verify: the reference verifier asks Status through a
    /// call-back to the suite, which may send requests of its own meanwhile.
    /// The nonce this adapter's verifiers draw instead of their seeded one,
    /// per `JPKI_SHIM_NONCES`: `os` real random ones, as a product does;
    /// `constant` one that never changes (the suite must object, NON-002).
    fn drawn_nonce(&self) -> Result<Option<[u8; 32]>, Refusal> {
        Ok(match self.nonces.as_deref() {
            Some("os") => Some(os_nonce()?),
            Some("constant") => Some([0x42; 32]),
            _ => None,
        })
    }

    /// verifier.mdoc_verify too: a presentation instead of an assertion.
    fn verify(&mut self, p: &Value) -> Answer {
        let rp = frame::text(p, "rp").map_err(bad)?;
        let presentation = frame::bytes(p, "presentation").ok();
        let assertion = match &presentation {
            Some(_) => Vec::new(),
            None => frame::bytes(p, "assertion").map_err(bad)?,
        };
        let now = frame::uint(p, "now").map_err(bad)?;
        let mut verifier = self.roles()?.verifiers.remove(&rp).ok_or_else(|| bad(format!("no verifier {rp}")))?;
        let mut failure = None;
        let mut ask = |request| match self.callback_status(request) {
            Ok(answer) => answer,
            Err(e) => {
                failure = Some(e);
                StatusAnswer::Unreachable
            }
        };
        let result = match &presentation {
            Some(presentation) => verifier.mdoc_verify(presentation, now, &mut ask).map(Value::Bytes),
            None => verifier.verify(&assertion, now, &mut ask).map(|(serial, counter)| {
                map(vec![("serial", Value::Bytes(serial)), ("counter", int(u64::from(counter)))])
            }),
        };
        self.roles()?.verifiers.insert(rp, verifier);
        if let Some(e) = failure {
            return Err(bad(format!("status call-back failed: {e}")));
        }
        Ok(result?)
    }

    fn callback_status(&mut self, request: Vec<u8>) -> Result<StatusAnswer, String> {
        let answer = self.callback("status.answer", map(vec![("request", Value::Bytes(request))]))?;
        let mut answer = decode_status_answer(&answer)?;
        if let (true, StatusAnswer::Response(bytes)) = (self.pairs_status_bugs(), &mut answer) {
            // the verifier of this pair takes its Status's broken signature as sound
            flip_last_byte(bytes);
        }
        Ok(answer)
    }

    /// `JPKI_SHIM_FAULT=bad-status-signature:status.answer`: a pair of bugs
    /// that hide each other. Its Status corrupts the signature of every answer
    /// it sends, and its verifier accepts such answers (it undoes the
    /// corruption before checking, as a verifier that skipped the check
    /// would). Only a judge of the answer itself sees it.
    fn pairs_status_bugs(&self) -> bool {
        self.fault.as_ref().is_some_and(|(kind, _)| kind == "bad-status-signature")
    }

    /// Makes a call-back to the suite and returns its answer, serving the
    /// suite's own requests meanwhile.
    fn callback(&mut self, name: &str, params: Value) -> Result<Value, String> {
        let cid = self.next_callback;
        self.next_callback += 1;
        let message = map(vec![("id", int(cid)), ("callback", Value::Text(name.into())), ("params", params)]);
        write_frame(&mut self.output, &message).map_err(|e| e.to_string())?;
        loop {
            let frame = read_frame(&mut self.input)?.ok_or("the suite closed the stream during a call-back")?;
            if get(&frame, "method").is_some() {
                self.handle(&frame)?;
                continue;
            }
            if frame::uint(&frame, "id") != Ok(cid) {
                return Err("call-back answer with another id".into());
            }
            return get(&frame, "ok").cloned().ok_or_else(|| "call-back answer without ok".into());
        }
    }
}

/// Serves the protocol on stdin/stdout.
pub fn serve_stdio() -> Result<(), String> {
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    Server::new(stdin, stdout).serve()
}

/// A list of text parameters.
fn texts(p: &Value, key: &str) -> Result<Vec<String>, Refusal> {
    match get(p, key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Text(t) => Ok(t.clone()),
                _ => Err(bad(format!("{key}: text items"))),
            })
            .collect(),
        _ => Err(bad(format!("{key} must be a list of text"))),
    }
}

fn read_choice(p: &Value) -> Result<IssuanceChoice, Refusal> {
    let kinds = match get(p, "kinds") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Integer(i) => u64::try_from(i128::from(*i)).map_err(|_| bad("kind".into())),
                _ => Err(bad("kind".into())),
            })
            .map(|k| k.and_then(|k| Kind::from_wire(k).map_err(Refusal::from)))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("kinds".into())),
    };
    Ok(IssuanceChoice {
        kinds,
        notification_address: frame::text(p, "address").map_err(bad)?,
        idempotency_key: frame::bytes(p, "idempotency_key")
            .map_err(bad)?
            .try_into()
            .map_err(|_| bad("idempotency key".into()))?,
        replaces: frame::byte_list(p, "replaces").map_err(bad)?,
        // QUA-001: optional, 0 when the frame (an older adapter's) has none
        qualification: match get(p, "qualification") {
            None => 0,
            Some(_) => usize::try_from(frame::uint(p, "qualification").map_err(bad)?)
                .map_err(|_| bad("qualification".into()))?,
        },
    })
}

/// The suite's card, reached through call-backs (`card.certificate`, `card.sign`).
struct CallbackCard<'a, R: Read, W: Write> {
    server: &'a mut Server<R, W>,
    failure: Option<String>,
}

impl<R: Read, W: Write> CallbackCard<'_, R, W> {
    fn ask(&mut self, name: &str, params: Value) -> jpki_reference::Result<Value> {
        let answer = self.server.callback(name, params).map_err(|e| {
            self.failure = Some(e.clone());
            Error::with_detail(Code::Malformed, e)
        })?;
        if let Some(error) = get(&answer, "error") {
            let code = frame::text(error, "code").ok().and_then(|c| Code::from_wire(&c)).unwrap_or(Code::Malformed);
            return Err(Error::with_detail(code, frame::text(error, "detail").unwrap_or_default()));
        }
        get(&answer, "ok").cloned().ok_or(Error::new(Code::Malformed, "card call-back answer without ok"))
    }
}

fn key_name(key: CardKey) -> &'static str {
    match key {
        CardKey::Sign => "sign",
        CardKey::Auth => "auth",
    }
}

impl<R: Read, W: Write> CardAccess for CallbackCard<'_, R, W> {
    fn certificate(&mut self, key: CardKey) -> jpki_reference::Result<Vec<u8>> {
        match self.ask("card.certificate", map(vec![("key", Value::Text(key_name(key).into()))]))? {
            Value::Bytes(cert) => Ok(cert),
            _ => Err(Error::new(Code::Malformed, "card.certificate answers a byte string")),
        }
    }

    fn sign(&mut self, key: CardKey, message: &[u8]) -> jpki_reference::Result<[u8; 64]> {
        let params = map(vec![("key", Value::Text(key_name(key).into())), ("message", Value::Bytes(message.to_vec()))]);
        match self.ask("card.sign", params)? {
            Value::Bytes(sig) => {
                sig.try_into().map_err(|_| Error::new(Code::BadSignatureSize, "a card signature is 64 bytes"))
            }
            _ => Err(Error::new(Code::Malformed, "card.sign answers a byte string")),
        }
    }
}
