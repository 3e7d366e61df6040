//! An independent wallet, written for the tests from `spec/` and
//! `conformance/SHIM.md`: not `reference::device` nor a copy of it. It uses
//! the reference's codec, message and certificate-parsing modules (as a
//! vendor would use their own), makes its secure-element keys from the
//! operating system's randomness, keeps its own counters and enforces user
//! verification. Its platform attests those keys under a root of its own
//! (not the run's seed), which its capability statement declares, as a
//! phone's OS attests under its vendor's root.
//!
//! Run as a test (`harness = false`), this file runs every device check of
//! the suite against itself through the shim, started as this same
//! executable with `JPKI_INDEPENDENT_WALLET=serve`, and fails unless each
//! one passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test

use std::collections::BTreeMap;
use std::io::{Read, Write};

use ciborium::Value;
use jpki_conformance::checks::context::Sut;
use jpki_conformance::checks::{self, Role};
use jpki_conformance::runner::{self, Capabilities, Outcome, RunConfig};
use jpki_conformance::shim::frame::{self, get, int, map, read_frame, write_frame};
use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::{SignOptions, decode_sign1, sign1, sign1_with};
use jpki_reference::crypto::{Entropy, KeyPair, default_provider, generate_key};
use jpki_reference::msgs::issuance::{
    IssuanceChallenge, IssuanceRequest, IssuanceRequestPayload, IssuanceResponse, KeyRequest,
};
use jpki_reference::msgs::lifecycle::{WipeCommandPayload, WipeReceiptPayload};
use jpki_reference::msgs::usage::{AssertionPayload, UseRequest, transcript_hash};
use jpki_reference::msgs::{Kind, Message, UvMethod};
use jpki_reference::observation::{DeviceObservation, KeyObservation};
use jpki_reference::pki::{
    CertRole, CertTemplate, KeyAttestation, NameAttribute, ParsedCert, Purpose, TestPki, TrustAnchor,
    issue_certificate, validate_chain,
};
use jpki_reference::time::UnixTime;
use jpki_reference::{Code, Error};

/// The clock a run's test PKI is built at (spec/certificates.md §6).
const PKI_CLOCK: UnixTime = 1_748_736_000;
/// Where this wallet's own platform derives its attestation root from: not
/// the run's seed (a phone's OS attests under its vendor's root, which the
/// wallet's capability statement declares).
const OWN_PLATFORM_SEED: [u8; 32] = *b"independent wallet platform root";
const SHIM_VERSION: u64 = 3;

fn main() {
    if std::env::var("JPKI_INDEPENDENT_WALLET").is_ok_and(|v| v == "serve") {
        let platform = own_platform().platform_root;
        let mut adapter = Adapter { pki: None, platform, wallets: BTreeMap::new() };
        let (mut input, mut output) = (std::io::stdin().lock(), std::io::BufWriter::new(std::io::stdout().lock()));
        if let Err(e) = adapter.serve(&mut input, &mut output) {
            eprintln!("independent wallet: {e}");
            std::process::exit(2);
        }
        return;
    }
    // `cargo test -- --list` and filters: this file is one test
    if std::env::args().any(|a| a == "--list") {
        println!("independent_wallet: test");
        return;
    }
    // its platform's root is its own: without it declared, the suite's
    // Issuer refuses its attestations (ISS-003, `attestation_untrusted`)
    let undeclared = device_profile("", Capabilities { platform_roots: Vec::new(), ..declared() });
    let refused = undeclared.iter().filter(|(_, o)| format!("{o:?}").contains("AttestationUntrusted")).count();
    println!("root undeclared: {refused} device checks fail on attestation_untrusted");
    assert!(refused > 0, "keys attested under an undeclared root were trusted: {undeclared:?}");
    let results = device_profile("", declared());
    let mut failed = 0;
    for (id, outcome) in &results {
        // the qualification's checks are skipped: its capability statement declares the feature absent
        let absent = matches!(outcome, Outcome::Skipped(why) if why.contains("lacks qualification"));
        let ok = *outcome == Outcome::Pass || absent;
        failed += usize::from(!ok);
        println!("{} {id} {outcome:?}", if ok { "pass" } else { "FAIL" });
    }
    println!("independent wallet: {} device checks, {failed} not passed", results.len());
    assert!(results.len() >= 20, "the device profile has {} checks", results.len());
    assert_eq!(failed, 0, "the independent wallet fails device checks");
    // the passes are earned: each bug planted in this wallet fails a check
    // that names the rule it breaks
    for (bug, rule) in [("no-uv", "DEV-001"), ("any-key", "ISS-010"), ("stuck-counter", "DEV-002")] {
        let named: Vec<String> = device_profile(bug, declared())
            .into_iter()
            .filter_map(|(id, outcome)| match outcome {
                Outcome::Fail { requirement: Some(r), .. } if r == rule => Some(id),
                _ => None,
            })
            .collect();
        println!("planted {bug}: failed on {rule} by {named:?}");
        assert!(!named.is_empty(), "the bug {bug} passed every device check");
    }
}

/// Every device check run against this wallet, with `bug` planted (empty:
/// none): each check's id and outcome.
fn device_profile(bug: &str, capabilities: Capabilities) -> Vec<(String, Outcome)> {
    let exe = std::env::current_exe().unwrap();
    let command = format!("JPKI_INDEPENDENT_WALLET=serve JPKI_INDEPENDENT_WALLET_BUG={bug} {}", exe.display());
    let device: Vec<_> = checks::all().into_iter().filter(|c| c.role() == Some(Role::Device)).collect();
    let config = RunConfig { sut: Sut::Shim { command, mutation: None }, capabilities, ..RunConfig::default() };
    runner::run(&device, &config, &mut |_, _, _| {}).into_iter().map(|r| (r.check.id, r.outcome)).collect()
}

/// The wallet's platform (its attestation root) and nothing else of it.
fn own_platform() -> TestPki {
    TestPki::from_seed(default_provider(), OWN_PLATFORM_SEED, PKI_CLOCK).expect("the platform's keys")
}

/// The capability statement of this wallet: its platform's root.
fn declared() -> Capabilities {
    // it has no qualification mdoc (spec/qualification.md): declared absent
    Capabilities {
        platform_roots: vec![own_platform().platform_root.cert],
        absent: vec![jpki_conformance::checks::Feature::Qualification],
        ..Capabilities::default()
    }
}

/// The operating system's randomness.
struct OsRandom;

impl Entropy for OsRandom {
    fn fill(&mut self, out: &mut [u8]) {
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(out)).expect("/dev/urandom");
    }
}

/// One secure-element key: the secret never leaves this struct.
#[derive(Clone)]
struct SeKey {
    pair: KeyPair,
    counter: u32,
    cert: Option<Vec<u8>>,
}

/// One wallet on one phone.
#[derive(Clone, Default)]
struct Wallet {
    name: String,
    installed: BTreeMap<Kind, SeKey>,
    pending: BTreeMap<Kind, SeKey>,
    /// The payload last made with the pending keys (ISS-015: the same
    /// challenge and choice again get it again).
    answered: Option<Vec<u8>>,
    /// Receipts of wipes carried out, by command id (REV-007: a repeated
    /// command gets the same receipt).
    wiped: BTreeMap<[u8; 16], Vec<u8>>,
}

struct Adapter {
    pki: Option<TestPki>,
    /// The platform authority that attests this wallet's keys.
    platform: jpki_reference::pki::Authority,
    wallets: BTreeMap<String, Wallet>,
}

type Answer = Result<Value, Error>;

fn bad(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::Malformed, detail.into())
}

impl Adapter {
    fn serve(&mut self, input: &mut impl Read, output: &mut impl Write) -> Result<(), String> {
        while let Some(request) = read_frame(input)? {
            let id = frame::uint(&request, "id")?;
            let method = frame::text(&request, "method")?;
            let params = get(&request, "params").cloned().unwrap_or(Value::Map(vec![]));
            let answer = self.dispatch(&method, &params, input, output);
            let message = match answer {
                Ok(ok) => map(vec![("id", int(id)), ("ok", ok)]),
                Err(Unanswered::Unimplemented) => map(vec![("id", int(id)), ("unimplemented", Value::Text(method))]),
                Err(Unanswered::Refused(e)) => map(vec![
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
            write_frame(output, &message).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn dispatch(
        &mut self,
        method: &str,
        p: &Value,
        input: &mut impl Read,
        output: &mut impl Write,
    ) -> Result<Value, Unanswered> {
        match method {
            "hello" => {
                let version = frame::uint(p, "version").map_err(bad)?;
                if version != SHIM_VERSION {
                    return Err(
                        bad(format!("this adapter speaks shim protocol v{SHIM_VERSION}, not v{version}")).into()
                    );
                }
                let seed: [u8; 32] = frame::bytes(p, "seed").map_err(bad)?.try_into().map_err(|_| bad("seed"))?;
                self.pki = Some(TestPki::from_seed(default_provider(), seed, PKI_CLOCK)?);
                Ok(map(vec![
                    ("version", int(SHIM_VERSION)),
                    ("identity", Value::Text("independent test wallet".into())),
                    ("roles", Value::Array(vec![Value::Text("device".into())])),
                ]))
            }
            "device.create" => {
                let name = frame::text(p, "name").map_err(bad)?;
                self.wallets.insert(name.clone(), Wallet { name, ..Wallet::default() });
                Ok(Value::Null)
            }
            "device.request_issuance" => {
                let (name, wallet) = self.wallet(p)?;
                let mut next = wallet.clone();
                let payload = next.prepare(&self.platform, p)?;
                let mut card = |name: &str, params: Value| callback(input, output, name, params);
                let request = next.card_signed(&payload, &mut card)?;
                // all or nothing: keys kept only when the card signed both times
                self.wallets.insert(name, next);
                Ok(Value::Bytes(request))
            }
            "device.prepare_issuance" => {
                let (name, wallet) = self.wallet(p)?;
                let mut next = wallet.clone();
                let payload = next.prepare(&self.platform, p)?;
                self.wallets.insert(name, next);
                Ok(Value::Bytes(payload))
            }
            _ if method.starts_with("device.") => {
                let anchor = self.pki()?.mobile_root.anchor(default_provider())?;
                let (name, wallet) = self.wallet(p)?;
                let mut next = wallet.clone();
                let answer = next.handle(method, p, &anchor)?;
                self.wallets.insert(name, next);
                Ok(answer)
            }
            _ => Err(Unanswered::Unimplemented),
        }
    }

    fn pki(&self) -> Result<&TestPki, Error> {
        self.pki.as_ref().ok_or_else(|| bad("say hello first"))
    }

    fn wallet(&self, p: &Value) -> Result<(String, &Wallet), Error> {
        let name = frame::text(p, "name").map_err(bad)?;
        let wallet = self.wallets.get(&name).ok_or_else(|| bad(format!("no wallet {name}")))?;
        Ok((name, wallet))
    }
}

/// Why a request got no `ok`.
enum Unanswered {
    Refused(Error),
    Unimplemented,
}

impl From<Error> for Unanswered {
    fn from(e: Error) -> Self {
        Unanswered::Refused(e)
    }
}

/// Asks the suite through a call-back (the card): the answer's `ok`, or
/// the refusal it carries.
fn callback(input: &mut impl Read, output: &mut impl Write, name: &str, params: Value) -> Result<Value, Error> {
    const ID: u64 = 7_000_000;
    let message = map(vec![("id", int(ID)), ("callback", Value::Text(name.into())), ("params", params)]);
    write_frame(output, &message).map_err(|e| bad(e.to_string()))?;
    let answer = read_frame(input).map_err(bad)?.ok_or_else(|| bad("the suite left during a call-back"))?;
    if frame::uint(&answer, "id") != Ok(ID) {
        return Err(bad("a call-back answer with another id"));
    }
    let ok = get(&answer, "ok").cloned().ok_or_else(|| bad("a call-back answer without ok"))?;
    if let Some(error) = get(&ok, "error") {
        let code = frame::text(error, "code").ok().and_then(|c| Code::from_wire(&c)).unwrap_or(Code::Malformed);
        return Err(Error::with_detail(code, frame::text(error, "detail").unwrap_or_default()));
    }
    Ok(get(&ok, "ok").cloned().unwrap_or(ok))
}

fn now(p: &Value) -> UnixTime {
    frame::uint(p, "now").unwrap_or_default()
}

/// The holder's verification for one key use (DEV-001): `verified` and
/// `method` (1 biometric, 2 passcode).
fn verification(p: &Value) -> Result<(bool, UvMethod), Error> {
    let verified = matches!(get(p, "verified"), Some(Value::Bool(true)));
    Ok((verified, UvMethod::from_wire(frame::uint(p, "method").map_err(bad)?)?))
}

impl Wallet {
    /// This wallet's identity at the platform: the attestation subject.
    fn subject(&self) -> Vec<NameAttribute> {
        vec![NameAttribute::common_name(&format!("independent wallet {}", self.name))]
    }

    /// Makes one SE key per asked kind, attested for the challenge by the
    /// platform, and returns the IssuanceRequestPayload (the card signs it).
    fn prepare(&mut self, platform: &jpki_reference::pki::Authority, p: &Value) -> Result<Vec<u8>, Error> {
        let provider = default_provider();
        let challenge = IssuanceChallenge::from_bytes(&frame::bytes(p, "challenge").map_err(bad)?)?;
        let mut kinds = Vec::new();
        for value in match get(p, "kinds") {
            Some(Value::Array(items)) => items.clone(),
            _ => return Err(bad("kinds")),
        } {
            let wire = value.as_integer().and_then(|i| u64::try_from(i).ok()).ok_or_else(|| bad("kind"))?;
            let kind = Kind::from_wire(wire)?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds.sort();
        let now = now(p);
        let address = frame::text(p, "address").map_err(bad)?;
        let idempotency_key: [u8; 16] =
            frame::bytes(p, "idempotency_key").map_err(bad)?.try_into().map_err(|_| bad("key"))?;
        let replaces = frame::byte_list(p, "replaces").map_err(bad)?;
        if let Some(answered) = self.answered.clone().filter(|_| !self.pending.is_empty()) {
            let previous = IssuanceRequestPayload::from_bytes(default_provider(), &answered)?;
            if previous.nonce == challenge.nonce
                && previous.keys.iter().map(|k| k.kind).eq(kinds.iter().copied())
                && (&previous.notification_address, &previous.idempotency_key, &previous.replaces)
                    == (&address, &idempotency_key, &replaces)
            {
                return Ok(answered);
            }
        }
        let mut keys = Vec::new();
        self.pending.clear();
        for kind in kinds {
            let pair = generate_key(provider, &mut OsRandom)?;
            let mut serial = [0u8; 16];
            OsRandom.fill(&mut serial);
            serial[0] = (serial[0] & 0x7f) | 0x01;
            let facts = KeyAttestation {
                in_secure_element: true,
                user_verification_required: true,
                challenge: challenge.nonce.to_vec(),
            };
            let template = CertTemplate {
                serial: serial.to_vec(),
                subject: self.subject(),
                not_before: now.saturating_sub(3600),
                not_after: now.saturating_add(3600),
                public_key: pair.public.clone(),
                role: CertRole::Leaf(Purpose::KeyAttestation),
                extra_extensions: vec![(jpki_reference::pki::oids::EXT_KEY_ATTESTATION, true, facts.to_der()?)],
            };
            let attestation = issue_certificate(provider, &template, platform.as_issuer())?;
            keys.push(KeyRequest { kind, key: pair.public.clone(), attestation: vec![attestation] });
            self.pending.insert(kind, SeKey { pair, counter: 0, cert: None });
        }
        let payload = IssuanceRequestPayload {
            nonce: challenge.nonce,
            keys,
            notification_address: address,
            idempotency_key,
            replaces,
            qualification: Vec::new(),
        };
        let payload = payload.to_bytes()?;
        self.answered = Some(payload.clone());
        Ok(payload)
    }

    /// The payload signed by the card's two keys (the holder types the PIN
    /// and the password on the card's side), as an IssuanceRequest.
    fn card_signed(
        &self,
        payload: &[u8],
        card: &mut dyn FnMut(&str, Value) -> Result<Value, Error>,
    ) -> Result<Vec<u8>, Error> {
        let mut by = |key: &str| -> Result<Vec<u8>, Error> {
            let cert = match card("card.certificate", map(vec![("key", Value::Text(key.into()))]))? {
                Value::Bytes(cert) => cert,
                _ => return Err(bad("card.certificate answers bytes")),
            };
            let chain = [cert];
            sign1_with(payload, &SignOptions { x5chain: &chain, external_aad: b"" }, |tbs| {
                let params = map(vec![("key", Value::Text(key.into())), ("message", Value::Bytes(tbs.to_vec()))]);
                match card("card.sign", params)? {
                    Value::Bytes(sig) => sig.try_into().map_err(|_| Error::new(Code::BadSignatureSize, "64 bytes")),
                    _ => Err(bad("card.sign answers bytes")),
                }
            })
        };
        let signed_by_sign_key = by("sign")?;
        let signed_by_auth_key = by("auth")?;
        IssuanceRequest { signed_by_sign_key, signed_by_auth_key }.to_bytes()
    }

    fn handle(&mut self, method: &str, p: &Value, mobile_anchor: &TrustAnchor) -> Answer {
        let provider = default_provider();
        let bytes = |key: &str| frame::bytes(p, key).map_err(bad);
        match method {
            "device.digest" => {
                // ISS-003: SHA-256 of the attestation's subject name (DER)
                let name = jpki_reference::pki::build::build_name(&self.subject())?;
                let der = der::Encode::to_der(&name).map_err(|_| bad("name"))?;
                Ok(Value::Bytes(provider.sha256(&der).to_vec()))
            }
            "device.install" => {
                self.install(&bytes("response")?, mobile_anchor, now(p))?;
                Ok(Value::Null)
            }
            "device.assert" => Ok(Value::Bytes(self.assert(&bytes("request")?, verification(p)?, now(p))?)),
            "device.sign_lifecycle" => {
                let (verified, _) = verification(p)?;
                if !verified {
                    return Err(Error::new(Code::SeUvRequired, "the holder was not verified"));
                }
                let key = self.lifecycle_key()?;
                let chain = [key.cert.clone().ok_or_else(|| bad("no certificate"))?];
                Ok(Value::Bytes(sign1(provider, &key.pair.secret, &bytes("payload")?, &options(&chain))?))
            }
            "device.installed_serials" => {
                let serials = self.serials()?.into_iter().map(|(_, s)| Value::Bytes(s)).collect();
                Ok(Value::Array(serials))
            }
            "device.apply_wipe" => Ok(Value::Bytes(self.wipe(&bytes("command")?, mobile_anchor, now(p))?)),
            "device.release" => {
                self.installed.clear();
                self.pending.clear();
                self.answered = None;
                Ok(Value::Null)
            }
            "device.observe" => Value::serialized(&self.observe()).map_err(|e| bad(e.to_string())),
            _ => Err(bad(format!("no method {method}"))),
        }
    }

    /// ISS-010: every certificate certifies the pending key of its kind,
    /// one per pending kind, or nothing changes.
    fn install(&mut self, response: &[u8], anchor: &TrustAnchor, now: UnixTime) -> Result<(), Error> {
        let response = IssuanceResponse::from_bytes(response)?;
        let kinds: Vec<Kind> = response.certs.iter().map(|c| c.kind).collect();
        let mut wanted: Vec<Kind> = self.pending.keys().copied().collect();
        let mut got = kinds.clone();
        got.sort();
        wanted.sort();
        if got != wanted {
            return Err(bad(format!("certificates for {kinds:?}, keys pending for {wanted:?}")));
        }
        let mut installed = self.installed.clone();
        for issued in &response.certs {
            let cert = ParsedCert::parse(default_provider(), &issued.cert)?;
            let key = self.pending.get(&issued.kind).ok_or_else(|| bad("no pending key"))?;
            if cert.public_key != key.pair.public && !planted("any-key") {
                return Err(bad("a certificate for another key"));
            }
            // ISS-013: a mobile certificate of this kind, to the mobile root, now
            let purpose = if issued.kind == Kind::Sign { Purpose::MobileSign } else { Purpose::MobileAuth };
            validate_chain(default_provider(), std::slice::from_ref(&issued.cert), anchor, purpose, now)?;
            installed.insert(issued.kind, SeKey { cert: Some(issued.cert.clone()), ..key.clone() });
        }
        self.installed = installed;
        self.pending.clear();
        self.answered = None;
        Ok(())
    }

    /// An assertion for a UseRequest, after the holder's verification
    /// (DEV-001), bound to the request by the transcript (USE-002).
    fn assert(
        &mut self,
        request: &[u8],
        (verified, method): (bool, UvMethod),
        now: UnixTime,
    ) -> Result<Vec<u8>, Error> {
        let provider = default_provider();
        let request = UseRequest::from_bytes(request)?;
        if !verified && !planted("no-uv") {
            return Err(Error::new(Code::SeUvRequired, "the holder was not verified"));
        }
        let key = self.installed.get_mut(&request.kind).ok_or_else(|| bad("no credential of that kind"))?;
        let cert = key.cert.clone().ok_or_else(|| bad("no certificate"))?;
        let serial = ParsedCert::parse(provider, &cert)?.serial;
        let step = if planted("stuck-counter") { 0 } else { 1 };
        let counter = key.counter.checked_add(step).ok_or_else(|| bad("counter exhausted"))?;
        let payload = AssertionPayload {
            rp_id_hash: provider.sha256(request.rp_id.as_bytes()),
            nonce: request.nonce,
            counter,
            user_verified: true,
            uv_method: method,
            time: now,
            kind: request.kind,
            transcript_hash: transcript_hash(provider, &request.rp_id, &request.nonce, &request.purpose, &serial)?,
            document_digest: request.document_digest,
        };
        let chain = [cert];
        let assertion = sign1(provider, &key.pair.secret, &payload.to_bytes()?, &options(&chain))?;
        key.counter = counter;
        Ok(assertion)
    }

    /// The key that signs lifecycle messages: `auth`, else `sign`.
    fn lifecycle_key(&self) -> Result<&SeKey, Error> {
        self.installed.get(&Kind::Auth).or_else(|| self.installed.get(&Kind::Sign)).ok_or_else(|| bad("no credential"))
    }

    fn serials(&self) -> Result<Vec<(Kind, Vec<u8>)>, Error> {
        let mut out = Vec::new();
        for (kind, key) in &self.installed {
            if let Some(cert) = &key.cert {
                out.push((*kind, ParsedCert::parse(default_provider(), cert)?.serial));
            }
        }
        Ok(out)
    }

    /// REV-007: a command signed by the Issuer's receipts key, for
    /// certificates held here: a receipt signed by a key being wiped, then
    /// those credentials erased; the same command again, the same receipt.
    fn wipe(&mut self, command: &[u8], anchor: &TrustAnchor, now: UnixTime) -> Result<Vec<u8>, Error> {
        let provider = default_provider();
        let signed = decode_sign1(command, &Limits::V0)?;
        // ENC-018: the payload against this endpoint's rule before the signer
        let order = WipeCommandPayload::from_bytes(signed.payload())?;
        let signer = validate_chain(provider, &signed.x5chain()?, anchor, Purpose::IssuerReceipts, now)?;
        signed.verify(provider, &signer.public_key, b"")?;
        if let Some(receipt) = self.wiped.get(&order.command_id) {
            return Ok(receipt.clone());
        }
        let targets: Vec<Kind> =
            self.serials()?.into_iter().filter(|(_, s)| order.serials.contains(s)).map(|(k, _)| k).collect();
        let Some(first) = targets.first() else {
            return Err(Error::new(Code::WipeUnknown, "none of these certificates is here"));
        };
        // sign with the auth key when it is among those wiped
        let signer_kind = if targets.contains(&Kind::Auth) { Kind::Auth } else { *first };
        let key = &self.installed[&signer_kind];
        let payload = WipeReceiptPayload { command_id: order.command_id, serials: order.serials.clone(), time: now };
        let chain = [key.cert.clone().ok_or_else(|| bad("no certificate"))?];
        let receipt = sign1(provider, &key.pair.secret, &payload.to_bytes()?, &options(&chain))?;
        for kind in targets {
            self.installed.remove(&kind);
        }
        self.wiped.insert(order.command_id, receipt.clone());
        Ok(receipt)
    }

    fn observe(&self) -> DeviceObservation {
        let key = |k: &SeKey| KeyObservation {
            public: k.pair.public.to_sec1_uncompressed().to_vec(),
            counter: k.counter,
            cert: k.cert.clone(),
        };
        DeviceObservation {
            installed: self.installed.iter().map(|(kind, k)| (*kind, key(k))).collect(),
            pending: self.pending.iter().map(|(kind, k)| (*kind, key(k))).collect(),
        }
    }
}

/// Whether the bug `name` is planted in this run of the wallet
/// (`JPKI_INDEPENDENT_WALLET_BUG`): the suite must then fail it.
fn planted(name: &str) -> bool {
    std::env::var("JPKI_INDEPENDENT_WALLET_BUG").is_ok_and(|b| b == name)
}

fn options(chain: &[Vec<u8>]) -> SignOptions<'_> {
    SignOptions { x5chain: chain, external_aad: b"" }
}
