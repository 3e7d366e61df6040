//! What the protocol benchmark and the instruction counter share: the
//! providers (each behind a counter of its ECDSA calls), the roles running
//! alone, and one fixture per operation.

// each bench binary uses part of this module
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use jpki_reference::card::{self, CardConfig, CardKey, CardState};
use jpki_reference::codec::cose_sign1::{SignOptions, sign1_with};
use jpki_reference::crypto::{CryptoProvider, P256Provider, PublicKey, SecretKey, SeededEntropy, generate_key};
use jpki_reference::device::{IssuanceChoice, UserVerification};
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::lifecycle::{HolderAction, HolderActionPayload};
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::pki::HolderAttributes;
use jpki_reference::roles::{
    CardAccess, DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier,
    StatusRole, VerifierRole,
};
use jpki_reference::time::{CivilDate, UnixTime};
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::world::{GOV_RP, IssueParams, LifecycleParams, ReferenceSetup, SHOP_RP, World};

const SEED: [u8; 32] = [0x42; 32];
const MESSAGE: &[u8] = b"a Sig_structure of about this size, as COSE_Sign1 signs for an assertion payload ....";

/// A provider under a counter of the operations that cost curve arithmetic.
#[derive(Debug)]
pub struct Counting {
    inner: &'static dyn CryptoProvider,
    signatures: AtomicU64,
    verifications: AtomicU64,
    derivations: AtomicU64,
}

/// Curve operations one call of an operation made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// ES256 signatures.
    pub signatures: u64,
    /// ES256 verifications.
    pub verifications: u64,
    /// Public keys derived from secrets (key generation).
    pub derivations: u64,
}

impl Counting {
    fn take(&self) -> Counts {
        Counts {
            signatures: self.signatures.swap(0, Ordering::Relaxed),
            verifications: self.verifications.swap(0, Ordering::Relaxed),
            derivations: self.derivations.swap(0, Ordering::Relaxed),
        }
    }
}

impl CryptoProvider for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        self.inner.sha256(data)
    }
    fn public_key_from_coordinates(&self, x: &[u8; 32], y: &[u8; 32]) -> jpki_reference::Result<PublicKey> {
        self.inner.public_key_from_coordinates(x, y)
    }
    fn secret_key_from_bytes(&self, bytes: [u8; 32]) -> Option<SecretKey> {
        self.inner.secret_key_from_bytes(bytes)
    }
    fn public_key(&self, secret: &SecretKey) -> jpki_reference::Result<PublicKey> {
        self.derivations.fetch_add(1, Ordering::Relaxed);
        self.inner.public_key(secret)
    }
    fn sign_es256(&self, secret: &SecretKey, message: &[u8]) -> jpki_reference::Result<[u8; 64]> {
        self.signatures.fetch_add(1, Ordering::Relaxed);
        self.inner.sign_es256(secret, message)
    }
    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> jpki_reference::Result<()> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.inner.verify_es256(key, message, signature)
    }
}

/// The providers compared, each with its counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// RustCrypto's `p256`.
    P256,
    /// `ring` verifying and hashing, `p256` signing (RFC 6979).
    Ring,
}

static P256_COUNTED: Counting = Counting {
    inner: &P256Provider,
    signatures: AtomicU64::new(0),
    verifications: AtomicU64::new(0),
    derivations: AtomicU64::new(0),
};
static RING_COUNTED: Counting = Counting {
    inner: &jpki_reference::crypto::RingProvider::DETERMINISTIC,
    signatures: AtomicU64::new(0),
    verifications: AtomicU64::new(0),
    derivations: AtomicU64::new(0),
};

impl Provider {
    /// The provider called `name` (`p256`, `ring`).
    pub fn named(name: &str) -> Option<Provider> {
        Provider::ALL.iter().copied().find(|p| p.to_string() == name)
    }

    /// Both, slower first.
    pub const ALL: &'static [Provider] = &[Provider::P256, Provider::Ring];

    /// The provider itself, counted (the counter costs two atomic adds a call).
    pub fn counted(self) -> &'static Counting {
        match self {
            Provider::P256 => &P256_COUNTED,
            Provider::Ring => &RING_COUNTED,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.counted().name())
    }
}

fn holder() -> HolderAttributes {
    HolderAttributes {
        name: "佐藤 一郎".into(),
        address: "大阪府大阪市北区1-1".into(),
        date_of_birth: CivilDate::new(1980, 4, 1).unwrap(),
        sex: jpki_reference::pki::Sex::Male,
    }
}

/// The suite's card, played here outside a world.
pub struct Card {
    provider: &'static dyn CryptoProvider,
    config: CardConfig,
    state: CardState,
}

impl CardAccess for Card {
    fn certificate(&mut self, key: CardKey) -> jpki_reference::Result<Vec<u8>> {
        Ok(self.config.credential(key).cert.clone())
    }
    fn sign(&mut self, key: CardKey, message: &[u8]) -> jpki_reference::Result<[u8; 64]> {
        let params = IssueParams::both(0);
        let secret = match key {
            CardKey::Sign => params.sign_password,
            CardKey::Auth => params.auth_pin,
        };
        let (next, result) = card::sign(self.provider, &self.config, &self.state, key, &secret, message);
        self.state = next;
        result
    }
}

/// Every role alone (made by the setup a world of the same seed uses), and a
/// world that keeps the cards and makes the holders.
struct Roles {
    provider: &'static dyn CryptoProvider,
    world: World,
    setup: ReferenceSetup,
    issuer: ReferenceIssuer,
    status: ReferenceStatus,
    gov: ReferenceVerifier,
    shop: ReferenceVerifier,
    now: UnixTime,
    holders: u32,
}

fn answer(status: &mut ReferenceStatus, request: Vec<u8>, now: UnixTime) -> StatusAnswer {
    match status.answer(&request, now) {
        Ok(response) => StatusAnswer::Response(response),
        Err(refusal) => panic!("Status refused: {refusal:?}"),
    }
}

impl Roles {
    fn new(provider: &'static dyn CryptoProvider) -> Roles {
        let world = World::with_provider(SEED, None, provider).unwrap();
        let setup = ReferenceSetup::with_provider(SEED, None, provider).unwrap();
        let issuer = setup.issuer().unwrap();
        let status = setup.status();
        let mut verifiers: BTreeMap<String, ReferenceVerifier> =
            setup.verifiers().unwrap().into_iter().map(|(rp, verifier, _)| (rp, verifier)).collect();
        let gov = verifiers.remove(GOV_RP).unwrap();
        let shop = verifiers.remove(SHOP_RP).unwrap();
        let now = world.now();
        Roles { provider, world, setup, issuer, status, gov, shop, now, holders: 0 }
    }

    /// A new holder (card registered with the Issuer, which keeps its other
    /// records) and a new device; returns the device and the card.
    fn new_holder(&mut self) -> (String, ReferenceDevice, Card) {
        self.holders += 1;
        let name = format!("h{}", self.holders);
        self.world.add_holder(&name, holder()).unwrap();
        let observed = self.world.observe();
        let config = self.world.card(&name).unwrap().clone();
        let card_state = observed.cards[&name].clone();
        // the world's Issuer registered the card: copy its record over
        let mut issuer_view = self.issuer.observe();
        for (serial, record) in observed.issuer.cards {
            issuer_view.cards.entry(serial).or_insert(record);
        }
        self.issuer.load(issuer_view).unwrap();
        let device = self.setup.device(&format!("d{}", self.holders));
        (name, device, Card { provider: self.provider, config, state: card_state })
    }

    fn choice(&self, key: u32) -> IssuanceChoice {
        let mut idempotency_key = [0u8; 16];
        idempotency_key[..4].copy_from_slice(&key.to_be_bytes());
        IssuanceChoice {
            kinds: Kind::ALL.to_vec(),
            notification_address: "holder@mail.example.jp".into(),
            idempotency_key,
            replaces: Vec::new(),
            qualification: 0,
        }
    }

    /// An issuance request of a new holder's new device.
    fn issuance_request(&mut self) -> (ReferenceDevice, Card, Vec<u8>) {
        let (_, mut device, mut card) = self.new_holder();
        let challenge = self.issuer.challenge(self.now).unwrap();
        let choice = self.choice(self.holders);
        let request = device.request_issuance(&challenge, &choice, self.now, &mut card).unwrap();
        (device, card, request)
    }

    /// A new holder's device with both kinds installed, Status fed.
    fn issued_device(&mut self) -> (ReferenceDevice, Card) {
        let (mut device, card, request) = self.issuance_request();
        let output = self.issuer.issue(&request, self.now).unwrap();
        for feed in &output.status_feed {
            self.status.apply_feed(feed, self.now).unwrap();
        }
        device.install(&output.response, self.now).unwrap();
        (device, card)
    }

    /// A verifier's request and the device's assertion.
    fn assertion(&mut self, device: &mut ReferenceDevice, kind: Kind) -> Vec<u8> {
        let (verifier, digest) = match kind {
            Kind::Auth => (&mut self.shop, None),
            Kind::Sign => (&mut self.gov, Some([7u8; 32])),
        };
        let request = verifier.request(kind, "bench", digest, self.now).unwrap();
        device.assert(&request, UserVerification::BIOMETRIC, self.now).unwrap()
    }

    fn verify(&mut self, kind: Kind, assertion: &[u8]) {
        let Roles { gov, shop, status, now, .. } = self;
        let verifier = if kind == Kind::Auth { shop } else { gov };
        verifier.verify(assertion, *now, &mut |request| answer(status, request, *now)).unwrap();
    }

    /// A holder action (report lost) signed by `card`.
    fn holder_action(&mut self, card: &mut Card, action: HolderAction) -> Vec<u8> {
        let payload = HolderActionPayload { action, time: self.now, idempotency_key: [0xa5; 16] }.to_bytes().unwrap();
        let chain = [card.config.auth.cert.clone()];
        sign1_with(&payload, &SignOptions { x5chain: &chain, external_aad: b"" }, |tbs| card.sign(CardKey::Auth, tbs))
            .unwrap()
    }
}

/// The operations measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// One ES256 signature.
    RawSign,
    /// One ES256 verification.
    RawVerify,
    /// One public key from a secret.
    RawKey,
    /// The Issuer judges an IssuanceRequest and certifies both keys (new holder, new device).
    IssuerIssues,
    /// The wallet makes attested keys and has the card sign the request.
    WalletRequestsIssuance,
    /// The wallet checks and installs an IssuanceResponse.
    WalletInstalls,
    /// The wallet answers an auth UseRequest.
    WalletAssertsAuth,
    /// The wallet answers a sign UseRequest.
    WalletAssertsSign,
    /// A verifier (shop) accepts an auth use, chains already validated once.
    VerifierAuthWarm,
    /// A verifier allowed to (gov) accepts a sign use, chains already validated once.
    VerifierSignWarm,
    /// A verifier accepts an auth use with empty chain caches (a fresh setup).
    VerifierAuthCold,
    /// A verifier accepts a sign use with empty chain caches (a fresh setup).
    VerifierSignCold,
    /// Status answers a StatusRequest.
    StatusAnswers,
    /// The Issuer carries out a path-A migration (old phone's intent).
    IssuerMigrates,
    /// The Issuer revokes a device's certificates at its own request.
    IssuerRevokes,
    /// The Issuer takes a holder's "lost" report (revoke all, queue a wipe).
    IssuerReportLost,
    /// The wallet applies a wipe command.
    WalletWipes,
}

impl Op {
    /// The operation's name in tables (its variant's).
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The operation called `name`.
    pub fn named(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// Every operation, in table order.
    pub const ALL: &'static [Op] = &[
        Op::RawSign,
        Op::RawVerify,
        Op::RawKey,
        Op::IssuerIssues,
        Op::WalletRequestsIssuance,
        Op::WalletInstalls,
        Op::WalletAssertsAuth,
        Op::WalletAssertsSign,
        Op::VerifierAuthWarm,
        Op::VerifierSignWarm,
        Op::VerifierAuthCold,
        Op::VerifierSignCold,
        Op::StatusAnswers,
        Op::IssuerMigrates,
        Op::IssuerRevokes,
        Op::IssuerReportLost,
        Op::WalletWipes,
    ];
}

/// What one run of an operation consumes, made beforehand.
pub enum Input {
    None,
    Bytes(Vec<u8>),
    Device(Box<ReferenceDevice>, Vec<u8>),
    Card(Box<(ReferenceDevice, Card)>, Vec<u8>),
    Cold(Box<(ReferenceVerifier, ReferenceStatus)>, Vec<u8>),
}

/// An operation's state between runs.
pub struct Case {
    op: Op,
    roles: Roles,
    key: jpki_reference::crypto::KeyPair,
    signature: [u8; 64],
    device: ReferenceDevice,
}

impl Case {
    /// The operation's fixture (a world, the roles alone, one issued device, warm caches).
    pub fn new(op: Op, provider: &'static dyn CryptoProvider) -> Case {
        let key = generate_key(provider, &mut SeededEntropy::new(&[1; 32], "bench")).unwrap();
        let signature = provider.sign_es256(&key.secret, MESSAGE).unwrap();
        let mut roles = Roles::new(provider);
        let (mut device, _) = roles.issued_device();
        // one use of each kind first: the verifiers' and Status's caches are warm
        for kind in [Kind::Auth, Kind::Sign] {
            let assertion = roles.assertion(&mut device, kind);
            roles.verify(kind, &assertion);
        }
        Case { op, roles, key, signature, device }
    }

    /// The next run's input (not timed).
    pub fn input(&mut self) -> Input {
        let roles = &mut self.roles;
        match self.op {
            Op::RawSign | Op::RawVerify | Op::RawKey => Input::None,
            Op::WalletAssertsAuth => Input::Bytes(roles.shop.request(Kind::Auth, "bench", None, roles.now).unwrap()),
            Op::WalletAssertsSign => {
                Input::Bytes(roles.gov.request(Kind::Sign, "bench", Some([7u8; 32]), roles.now).unwrap())
            }
            Op::IssuerIssues => Input::Bytes(roles.issuance_request().2),
            Op::WalletRequestsIssuance => {
                let (_, device, card) = roles.new_holder();
                let challenge = roles.issuer.challenge(roles.now).unwrap();
                Input::Card(Box::new((device, card)), challenge)
            }
            Op::WalletInstalls => {
                let (device, _, request) = roles.issuance_request();
                let output = roles.issuer.issue(&request, roles.now).unwrap();
                Input::Device(Box::new(device), output.response)
            }
            Op::VerifierAuthWarm => Input::Bytes(roles.assertion(&mut self.device, Kind::Auth)),
            Op::VerifierSignWarm => Input::Bytes(roles.assertion(&mut self.device, Kind::Sign)),
            Op::VerifierAuthCold | Op::VerifierSignCold => {
                let (rp, kind, digest) = match self.op {
                    Op::VerifierAuthCold => (SHOP_RP, Kind::Auth, None),
                    _ => (GOV_RP, Kind::Sign, Some([7u8; 32])),
                };
                let setup = ReferenceSetup::with_provider(SEED, None, roles.provider).unwrap();
                let mut verifier = setup.verifiers().unwrap().into_iter().find(|v| v.0 == rp).unwrap().1;
                let warm = if rp == SHOP_RP { &roles.shop } else { &roles.gov };
                verifier.load(warm.observe()).unwrap();
                let mut status = setup.status();
                status.load(roles.status.observe()).unwrap();
                let request = verifier.request(kind, "bench", digest, roles.now).unwrap();
                let assertion = self.device.assert(&request, UserVerification::BIOMETRIC, roles.now).unwrap();
                Input::Cold(Box::new((verifier, status)), assertion)
            }
            Op::StatusAnswers => {
                let assertion = roles.assertion(&mut self.device, Kind::Auth);
                let mut captured = Vec::new();
                let _ = roles.shop.verify(&assertion, roles.now, &mut |request| {
                    captured = request;
                    StatusAnswer::Unreachable
                });
                Input::Bytes(captured)
            }
            Op::IssuerMigrates => {
                let (mut old, _) = roles.issued_device();
                let mut new = roles.setup.device(&format!("n{}", roles.holders));
                let challenge = roles.issuer.challenge(roles.now).unwrap();
                let choice = roles.choice(roles.holders + 1_000_000);
                let payload = new.prepare_issuance(&challenge, &choice, roles.now).unwrap();
                let request =
                    jpki_reference::msgs::issuance::IssuanceRequestPayload::from_bytes(roles.provider, &payload)
                        .unwrap();
                let params = LifecycleParams::with_key(9);
                let intent = jpki_reference::msgs::lifecycle::MigrationIntentPayload {
                    nonce: request.nonce,
                    replaces: old.installed_serials().unwrap(),
                    keys: request.keys,
                    notification_address: request.notification_address,
                    idempotency_key: choice.idempotency_key,
                    user_verified: true,
                    uv_method: params.uv_method,
                };
                Input::Bytes(old.sign_lifecycle(&intent.to_bytes().unwrap(), params.uv()).unwrap())
            }
            Op::IssuerRevokes => {
                let (mut device, _) = roles.issued_device();
                let payload = jpki_reference::msgs::lifecycle::DeviceRevocationPayload {
                    serials: device.installed_serials().unwrap(),
                    reason: RevocationReason::DeviceReleased,
                    time: roles.now,
                    idempotency_key: [0x5a; 16],
                    user_verified: true,
                };
                Input::Bytes(device.sign_lifecycle(&payload.to_bytes().unwrap(), UserVerification::BIOMETRIC).unwrap())
            }
            Op::IssuerReportLost => {
                let (_, mut card) = roles.issued_device();
                Input::Bytes(roles.holder_action(&mut card, HolderAction::ReportLost))
            }
            Op::WalletWipes => {
                let (device, mut card) = roles.issued_device();
                let report = roles.holder_action(&mut card, HolderAction::ReportLost);
                roles.issuer.holder_action(&report, roles.now).unwrap();
                let command = roles.issuer.deliver_wipes(&device.digest().unwrap()).pop().unwrap();
                Input::Device(Box::new(device), command)
            }
        }
    }

    /// One run of the operation.
    pub fn run(&mut self, input: Input) {
        let roles = &mut self.roles;
        let now = roles.now;
        match (self.op, input) {
            (Op::RawSign, _) => drop(roles.provider.sign_es256(&self.key.secret, MESSAGE).unwrap()),
            (Op::RawVerify, _) => roles.provider.verify_es256(&self.key.public, MESSAGE, &self.signature).unwrap(),
            (Op::RawKey, _) => drop(roles.provider.public_key(&self.key.secret).unwrap()),
            (Op::IssuerIssues, Input::Bytes(request)) => drop(roles.issuer.issue(&request, now).unwrap()),
            (Op::WalletRequestsIssuance, Input::Card(pair, challenge)) => {
                let (mut device, mut card) = *pair;
                let choice = roles.choice(roles.holders);
                drop(device.request_issuance(&challenge, &choice, now, &mut card).unwrap());
            }
            (Op::WalletInstalls, Input::Device(mut device, response)) => device.install(&response, now).unwrap(),
            (Op::WalletAssertsAuth | Op::WalletAssertsSign, Input::Bytes(request)) => {
                drop(self.device.assert(&request, UserVerification::BIOMETRIC, now).unwrap());
            }
            (Op::VerifierAuthWarm, Input::Bytes(assertion)) => roles.verify(Kind::Auth, &assertion),
            (Op::VerifierSignWarm, Input::Bytes(assertion)) => roles.verify(Kind::Sign, &assertion),
            (Op::VerifierAuthCold | Op::VerifierSignCold, Input::Cold(fresh, assertion)) => {
                let (mut verifier, mut status) = *fresh;
                verifier.verify(&assertion, now, &mut |request| answer(&mut status, request, now)).unwrap();
            }
            (Op::StatusAnswers, Input::Bytes(request)) => drop(roles.status.answer(&request, now).unwrap()),
            (Op::IssuerMigrates, Input::Bytes(intent)) => drop(roles.issuer.migrate(&intent, now).unwrap()),
            (Op::IssuerRevokes, Input::Bytes(request)) => drop(roles.issuer.device_revocation(&request, now).unwrap()),
            (Op::IssuerReportLost, Input::Bytes(request)) => drop(roles.issuer.holder_action(&request, now).unwrap()),
            (Op::WalletWipes, Input::Device(mut device, command)) => drop(device.apply_wipe(&command, now).unwrap()),
            (op, _) => panic!("{op:?}: an input of another operation"),
        }
    }
}

/// Runs `op` on `provider` under divan, each input made outside the timing.
pub fn bench(bencher: divan::Bencher, op: Op, provider: Provider) {
    let case = RefCell::new(Case::new(op, provider.counted()));
    bencher.with_inputs(|| case.borrow_mut().input()).bench_local_values(|input| case.borrow_mut().run(input));
}

/// The curve operations one run of `op` makes (the same on either provider).
pub fn counts(op: Op, provider: Provider) -> Counts {
    let counted = provider.counted();
    let mut case = Case::new(op, counted);
    let input = case.input();
    counted.take();
    case.run(input);
    counted.take()
}

/// Prints each operation's curve operations (BENCHMARKS.md's "floor").
pub fn print_counts() {
    println!("{:<26} {:>10} {:>13} {:>11}", "operation", "signatures", "verifications", "derivations");
    for op in Op::ALL {
        let c = counts(*op, Provider::P256);
        assert_eq!(c, counts(*op, Provider::Ring), "{op:?}: the providers made different calls");
        println!("{:<26} {:>10} {:>13} {:>11}", format!("{op:?}"), c.signatures, c.verifications, c.derivations);
    }
    println!();
}

/// The messages the strict-decoding benchmark decodes.
pub const DECODERS: &[&str] = &[
    "IssuanceChallenge",
    "IssuanceRequest",
    "IssuanceResponse",
    "StatusFeed",
    "UseRequest",
    "Assertion",
    "StatusRequest",
    "StatusResponse",
    "HolderAction",
    "WipeCommand",
];

/// One message of each kind, made by the roles.
fn message(name: &str) -> Vec<u8> {
    let mut case = Case::new(Op::StatusAnswers, Provider::P256.counted());
    let status_request = |case: &mut Case| match case.input() {
        Input::Bytes(request) => request,
        _ => unreachable!("StatusAnswers takes bytes"),
    };
    let roles = &mut case.roles;
    let now = roles.now;
    match name {
        "IssuanceChallenge" => roles.issuer.challenge(now).unwrap(),
        "IssuanceRequest" => roles.issuance_request().2,
        "IssuanceResponse" | "StatusFeed" => {
            let request = roles.issuance_request().2;
            let output = roles.issuer.issue(&request, now).unwrap();
            if name == "StatusFeed" { output.status_feed[0].clone() } else { output.response }
        }
        "UseRequest" => roles.shop.request(Kind::Auth, "bench", None, now).unwrap(),
        "Assertion" => roles.assertion(&mut case.device, Kind::Auth),
        "StatusRequest" => status_request(&mut case),
        "StatusResponse" => {
            let request = status_request(&mut case);
            case.roles.status.answer(&request, now).unwrap()
        }
        "HolderAction" | "WipeCommand" => {
            let (device, mut card) = roles.issued_device();
            let report = roles.holder_action(&mut card, HolderAction::ReportLost);
            if name == "HolderAction" {
                return report;
            }
            roles.issuer.holder_action(&report, now).unwrap();
            roles.issuer.deliver_wipes(&device.digest().unwrap()).pop().unwrap()
        }
        other => panic!("no message {other}"),
    }
}

/// The strict decoding a receiver does before any signature: a COSE_Sign1
/// envelope with its protected header, then its payload (a bare message:
/// the message). Typed field reading and certificate parsing are not here.
fn strict_decode(bytes: &[u8]) {
    use jpki_reference::codec::{Limits, cose_sign1, decode_v0};
    if bytes.first() == Some(&0xd2) {
        let envelope = cose_sign1::decode_sign1(bytes, &Limits::V0).unwrap();
        decode_v0(envelope.payload()).unwrap();
    } else {
        decode_v0(bytes).unwrap();
    }
}

/// Times [`strict_decode`] on one message of each kind.
pub fn bench_decoder(bencher: divan::Bencher, name: &str) {
    let bytes = message(name);
    bencher.bench(|| strict_decode(divan::black_box(&bytes)));
}
