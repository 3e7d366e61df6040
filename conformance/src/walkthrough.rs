//! The walkthrough: one wallet through its whole life against live servers
//! over HTTP (`serve`, or a vendor's), with the e-mails read back from an
//! SMTP server the walkthrough runs itself. Issue both kinds, log in, sign,
//! move to a new phone (the old one receives its wipe), report the new one
//! lost (it receives its wipe), issue again on a third phone and revoke
//! from it. After each step the invariants hold; at the end every
//! notification the servers wrote arrived as one e-mail, to the holder,
//! with the Message-ID NTF-002 gives it.
//!
//! The wallet is the reference's, or a vendor's through the shim
//! (conformance/SHIM.md); the servers are the ones at the URL, in test mode.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use ciborium::Value;
use jpki_bindings::http::roles::{HttpBinding, control_map};
use jpki_bindings::shim::roles::ShimBinding;
use jpki_bindings::{Binding, ServedRole};
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::notify::Event;
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::roles::{
    DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier, StatusRole,
    VerifierRole,
};
use jpki_reference::time::CivilDate;
use jpki_reference::world::{FlowError, GOV_RP, IssueParams, LifecycleParams, SHOP_RP, World};
use jpki_server::mail::sink::SmtpSink;

use crate::checks::context::{self, Sut};
use crate::checks::served::Served;

/// The holder's name in the world, and so the local part of her address.
pub const HOLDER: &str = "hanako";

/// What to walk through.
pub struct Walkthrough {
    /// The servers' base URL (test mode: the walkthrough resets them).
    pub server: String,
    /// A wallet adapter's command (the shim); `None`: the reference wallet.
    pub wallet: Option<String>,
    /// Platform attestation roots (DER) the wallet attests under, beside the test PKI's.
    pub platform_roots: Vec<Vec<u8>>,
    /// The seed of the test PKI.
    pub seed: [u8; 32],
    /// How long to wait for the e-mails after the last step.
    pub mail_wait: Duration,
}

/// One e-mail as the SMTP server received it.
#[derive(Clone, Debug)]
pub struct Mail {
    /// Its recipient.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its Message-ID.
    pub message_id: String,
}

/// What the walkthrough saw.
#[derive(Debug, Default)]
pub struct Summary {
    /// The steps taken, in order.
    pub steps: Vec<String>,
    /// The notifications the servers wrote.
    pub notifications: usize,
    /// The e-mails received, in order of arrival.
    pub mails: Vec<Mail>,
}

/// The servers at a URL and, if given, a wallet through the shim.
struct WalletAndServers {
    servers: HttpBinding,
    wallet: Option<ShimBinding>,
}

impl Binding for WalletAndServers {
    fn issuer(&mut self, reference: &ReferenceIssuer) -> Option<Box<dyn IssuerRole>> {
        self.servers.issuer(reference)
    }
    fn status(&mut self, reference: &ReferenceStatus) -> Option<Box<dyn StatusRole>> {
        self.servers.status(reference)
    }
    fn verifier(&mut self, reference: &ReferenceVerifier) -> Option<Box<dyn VerifierRole>> {
        self.servers.verifier(reference)
    }
    fn device(&mut self, name: &str, reference: &ReferenceDevice) -> Option<Box<dyn DeviceRole>> {
        self.wallet.as_mut().and_then(|wallet| wallet.device(name, reference))
    }
}

fn attributes() -> Result<HolderAttributes, String> {
    Ok(HolderAttributes {
        name: "山田 花子".into(),
        address: "東京都千代田区千代田1-1".into(),
        date_of_birth: CivilDate::new(1990, 4, 1).ok_or("a date of birth")?,
        sex: Sex::Female,
    })
}

/// The Message-ID NTF-002 gives a notification with `key`.
pub fn expected_message_id(key: &[u8]) -> String {
    let digest = jpki_reference::crypto::default_provider().sha256(key);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@notify.jpki-mobile.invalid>")
}

fn describe(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(v) = payload.downcast_ref::<jpki_bindings::outcome::Violation>() {
        return format!("{}: expected {}, got {}", v.requirement, v.expected, v.actual);
    }
    if let Some(b) = payload.downcast_ref::<jpki_bindings::outcome::Broken>() {
        return format!("the server broke the binding: {}", b.0);
    }
    if let Some(m) = payload.downcast_ref::<jpki_bindings::outcome::Missing>() {
        return m.0.clone();
    }
    if let Some(f) = payload.downcast_ref::<context::Failure>() {
        return format!("{:?}: expected {}, got {}", f.requirement, f.expected, f.actual);
    }
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the walkthrough stopped".into())
}

/// Runs the walkthrough against `config.server`, the e-mails read from
/// `sink` (the server must send them there: `serve --smtp`); `say` hears
/// each step as it happens.
pub fn run(config: &Walkthrough, sink: &SmtpSink, say: &mut dyn FnMut(&str)) -> Result<Summary, String> {
    let mut summary = Summary::default();
    let mut recipients = Recipients::new();
    let walked = std::panic::catch_unwind(AssertUnwindSafe(|| walk(config, &mut summary, &mut recipients, say)));
    if let Err(payload) = walked.map_err(|payload| describe(payload.as_ref())).and_then(|result| result) {
        return Err(format!("after {:?}: {payload}", summary.steps.last()));
    }
    summary.notifications = recipients.len();
    say(&format!("… waiting for {} e-mails at smtp://{}", summary.notifications, sink.relay()));
    summary.mails = mails_for(&recipients, sink, config.mail_wait)?;
    Ok(summary)
}

/// Each notification's Message-ID (NTF-002) and the address it must go to:
/// the holder's on record when the step that wrote it was answered.
type Recipients = BTreeMap<String, String>;

/// Adds the notifications `w` holds that `recipients` lacks, each to the
/// holder's address on record now.
fn note_recipients(w: &World, recipients: &mut Recipients) {
    let now = w.observe();
    let address = now.issuer.cards.values().find_map(|card| card.notification_address.clone()).unwrap_or_default();
    for note in now.issuer.outbox.iter().chain(&now.status.outbox) {
        recipients.entry(expected_message_id(&note.key)).or_insert_with(|| address.clone());
    }
}

fn walk(
    config: &Walkthrough,
    summary: &mut Summary,
    recipients: &mut Recipients,
    say: &mut dyn FnMut(&str),
) -> Result<(), String> {
    context::enter(Sut::Http { url: config.server.clone(), mutation: None }, config.seed);
    context::trust_platform_roots(config.platform_roots.clone());
    let servers = HttpBinding::start(&config.server, &config.seed, None);
    for role in [ServedRole::Issuer, ServedRole::Status, ServedRole::Verifier] {
        if !servers.serves(role) {
            return Err(format!("the server at {} does not host the {}", config.server, role.as_str()));
        }
    }
    // the server's Issuer feeds its own Status, as deployed
    let own_status = control_map(vec![("url", Value::Null)]);
    let answer = jpki_server::client::Client::new()
        .post(&format!("{}/jpki/test/status-address", config.server.trim_end_matches('/')), &own_status, None)
        .map_err(|e| format!("status-address: {e}"))?;
    if answer.status != 200 {
        return Err(format!("the status-address control with url null (spec/http.md §5) answered {}", answer.status));
    }
    let wallet = config.wallet.as_deref().map(|command| ShimBinding::start(command, &config.seed, None));
    let factory = Box::new(Served(Box::new(WalletAndServers { servers, wallet })));
    let mut w = World::with_factory_trusting(config.seed, None, factory, &config.platform_roots)
        .map_err(|e| format!("cannot build the world: {e}"))?;
    w.add_holder(HOLDER, attributes()?).map_err(|e| e.to_string())?;
    for phone in ["old phone", "new phone", "third phone"] {
        w.add_device(phone);
        w.set_online(phone, true);
    }
    let mut did = |w: &mut World, what: &str, result: Result<(), FlowError>| -> Result<(), String> {
        result.map_err(|e| format!("{what}: refused with {} at {:?}", e.error, e.hop))?;
        if let Some(v) = w.violations().first() {
            return Err(format!("{what}: INV-{:03}: {}", v.invariant, v.detail));
        }
        note_recipients(w, recipients);
        say(what);
        summary.steps.push(what.to_owned());
        Ok(())
    };
    let r = w.issue(HOLDER, "old phone", &IssueParams::both(1)).map(drop);
    did(&mut w, "issued auth and sign certificates to the old phone (card + PIN + attested keys)", r)?;
    let r = w.authenticate("old phone", SHOP_RP).map(drop);
    did(&mut w, "logged in at a shop with the auth certificate (biometrics)", r)?;
    let r = w.sign("old phone", GOV_RP, b"an application to the city office").map(drop);
    did(&mut w, "signed a document for a government office with the sign certificate", r)?;
    let r = w.migrate_with_old_device("old phone", "new phone", &LifecycleParams::with_key(2)).map(drop);
    did(&mut w, "moved to the new phone with the old one at hand (old certificates superseded)", r)?;
    let r = w.sync_device("old phone").map(drop);
    did(&mut w, "the old phone received its wipe and confirmed it", r)?;
    let r = w.authenticate("new phone", GOV_RP).map(drop);
    did(&mut w, "logged in at a government office from the new phone", r)?;
    let r = w.holder_action(HOLDER, HolderAction::ReportLost, &LifecycleParams::with_key(3)).map(drop);
    did(&mut w, "reported the new phone lost with the card (its certificates revoked)", r)?;
    let r = w.sync_device("new phone").map(drop);
    did(&mut w, "the lost phone came online, received its wipe and confirmed it", r)?;
    let r = w.issue(HOLDER, "third phone", &IssueParams::both(4)).map(drop);
    did(&mut w, "issued again, to a third phone", r)?;
    let reason = RevocationReason::HolderRequest;
    let r = w.revoke_from_device("third phone", reason, &LifecycleParams::with_key(5)).map(drop);
    did(&mut w, "revoked the third phone's certificates from the phone itself", r)?;
    // what the spec says these steps write, one notification each (lifecycle.md §4)
    let expected = [
        (Event::Issued, 2),   // two issuances (lifecycle.md §4)
        (Event::Used, 3),     // three `good` answers of Status (STA-004)
        (Event::Migrated, 1), // one migration (MIG-003)
        (Event::Wiped, 2),    // two acknowledged wipes
        (Event::Revoked, 2),  // the lost phone, the revocation from the phone
    ];
    let now = w.observe();
    for (event, count) in expected {
        let written = now.issuer.outbox.iter().chain(&now.status.outbox).filter(|n| n.event == event).count();
        if written != count {
            return Err(format!("the servers wrote {written} {event:?} notifications; these steps make {count}"));
        }
    }
    Ok(())
}

/// Waits until every notification arrived as an e-mail; checks each
/// arrived once, to the holder's address, with its Message-ID (NTF-002, NTF-003).
fn mails_for(recipients: &Recipients, sink: &SmtpSink, wait: Duration) -> Result<Vec<Mail>, String> {
    let expected: Vec<&String> = recipients.keys().collect();
    let deadline = Instant::now() + wait;
    loop {
        let received = sink.received();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for mail in &received {
            *counts.entry(mail.header("Message-ID").unwrap_or_default()).or_default() += 1;
        }
        if expected.iter().all(|id| counts.contains_key(id.as_str())) {
            if let Some((id, n)) = counts.iter().find(|(_, n)| **n > 1) {
                return Err(format!("NTF-003: {id} arrived {n} times with no crash between"));
            }
            if let Some(id) = counts.keys().find(|id| !expected.contains(id)) {
                return Err(format!("NTF-002: an e-mail whose Message-ID {id} no notification explains"));
            }
            let mails: Vec<Mail> = received
                .iter()
                .map(|m| Mail {
                    to: m.to.join(", "),
                    subject: m.header("Subject").unwrap_or_default(),
                    message_id: m.header("Message-ID").unwrap_or_default(),
                })
                .collect();
            if let Some(stray) = mails.iter().find(|m| recipients.get(&m.message_id) != Some(&m.to)) {
                return Err(format!(
                    "{} went to {} instead of the holder's address on record, {:?}",
                    stray.message_id,
                    stray.to,
                    recipients.get(&stray.message_id)
                ));
            }
            return Ok(mails);
        }
        if Instant::now() > deadline {
            let missing = expected.iter().filter(|id| !counts.contains_key(id.as_str())).count();
            return Err(format!(
                "NTF-003: {missing} of {} notifications did not arrive at the SMTP server within {:?} \
                 (is the server sending to it? `serve --smtp {}`)",
                expected.len(),
                wait,
                sink.relay()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
