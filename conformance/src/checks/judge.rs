//! The suite's judge of messages that cross between two roles one SUT
//! may serve: a Status answer is judged here as the suite would judge it
//! arriving at a verifier of its own (STA-003), and a verifier's status
//! query as the suite would judge it arriving at a Status of its own
//! (USE-009), so that two roles lenient with each other cannot hide each
//! other's defects. Messages the suite itself sends (a check's deliberately
//! broken request) are not judged here: only what a SUT role emits.

use jpki_reference::Result;
use jpki_reference::codec::{Limits, cose_sign1::decode_sign1};
use jpki_reference::constants::STATUS_FRESHNESS_SECS;
use jpki_reference::crypto::CryptoProvider;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::status::{StatusRequestPayload, StatusResponsePayload};
use jpki_reference::msgs::usage::AssertionPayload;
use jpki_reference::msgs::{Digest, Kind, Nonce};
use jpki_reference::observation::{StatusObservation, VerifierObservation};
use jpki_reference::pki::{ParsedCert, Purpose, TrustAnchor, validate_chain};
use jpki_reference::roles::{ReferenceStatus, ReferenceVerifier, StatusRole, VerifierRole};
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::StatusAnswer;

use super::context;

/// What a `StatusResponse` must be for the request it answers (STA-003):
/// signed by a status signer under the mobile root, about the serial and
/// nonce asked, with thisUpdate the answer time and nextUpdate
/// `STATUS_FRESHNESS_SECS` later. `Err` says what it is instead.
pub fn judge_status_answer(
    provider: &dyn CryptoProvider,
    mobile_root: &TrustAnchor,
    request: &[u8],
    response: &[u8],
    now: UnixTime,
) -> std::result::Result<(), String> {
    let asked = decode_sign1(request, &Limits::V0)
        .and_then(|signed| StatusRequestPayload::from_bytes(signed.payload()))
        .map_err(|e| format!("the request it answers does not decode: {e}"))?;
    let signed = decode_sign1(response, &Limits::V0).map_err(|e| format!("not a COSE_Sign1: {e}"))?;
    let chain = signed.x5chain().map_err(|e| format!("no signer chain: {e}"))?;
    let signer = validate_chain(provider, &chain, mobile_root, Purpose::StatusSigning, now)
        .map_err(|e| format!("its signer is not a status signer under the mobile root: {e}"))?;
    signed.verify(provider, &signer.public_key, b"").map_err(|e| format!("its signature does not verify: {e}"))?;
    let said = StatusResponsePayload::from_bytes(signed.payload()).map_err(|e| format!("its payload: {e}"))?;
    if said.serial != asked.serial || said.nonce != asked.nonce {
        return Err("it names another certificate or nonce than the request".into());
    }
    if said.this_update != now || said.next_update != now + STATUS_FRESHNESS_SECS {
        return Err(format!(
            "thisUpdate {} and nextUpdate {}, at {now} (expected {now} and {})",
            said.this_update,
            said.next_update,
            now + STATUS_FRESHNESS_SECS
        ));
    }
    Ok(())
}

/// A Status role whose every answer is judged ([`judge_status_answer`]) before
/// it goes on: a failure ends the check on STA-003.
pub struct JudgedStatus {
    inner: Box<dyn StatusRole>,
    provider: &'static dyn CryptoProvider,
    mobile_root: TrustAnchor,
}

impl JudgedStatus {
    /// Judges `inner`'s answers with the trust the reference Status of this
    /// world was configured with (its issuer anchor is the mobile root).
    pub fn new(reference: &ReferenceStatus, inner: Box<dyn StatusRole>) -> JudgedStatus {
        JudgedStatus { inner, provider: reference.provider(), mobile_root: reference.config().issuer_anchor.clone() }
    }
}

impl StatusRole for JudgedStatus {
    fn apply_feed(&mut self, feed: &[u8], now: UnixTime) -> Result<()> {
        self.inner.apply_feed(feed, now)
    }

    fn answer(&mut self, request: &[u8], now: UnixTime) -> Result<Vec<u8>> {
        // a refusal passes unjudged: the checks that expect a code judge it
        let response = self.inner.answer(request, now)?;
        if let Err(why) = judge_status_answer(self.provider, &self.mobile_root, request, &response, now) {
            context::fail_on(
                "STA-003",
                "a StatusResponse signed by the status signer, about the serial and nonce asked, thisUpdate now",
                format!("the SUT's Status answered a StatusResponse that {why}"),
            );
        }
        Ok(response)
    }

    fn list(&mut self, chunk: u64, now: UnixTime) -> Result<Vec<u8>> {
        // the list checks judge the token (STL-004 … STL-006)
        self.inner.list(chunk, now)
    }

    fn observe(&self) -> StatusObservation {
        self.inner.observe()
    }

    fn load(&mut self, observation: StatusObservation) -> Result<()> {
        self.inner.load(observation)
    }

    fn fork(&self) -> Option<Box<dyn StatusRole>> {
        let inner = self.inner.fork()?;
        Some(Box::new(JudgedStatus { inner, provider: self.provider, mobile_root: self.mobile_root.clone() }))
    }
}

/// What a verifier's status query for `assertion` must be (USE-009): signed
/// with its verifier certificate under the mobile root, asking as `rp_id`,
/// about the assertion's certificate and nonce. `Err` says what it is instead.
pub fn judge_status_request(
    provider: &dyn CryptoProvider,
    mobile_root: &TrustAnchor,
    rp_id: &str,
    assertion: &[u8],
    request: &[u8],
    now: UnixTime,
) -> std::result::Result<(), String> {
    let asked = signed_query(provider, mobile_root, rp_id, request, now)?;
    // leniently: an assertion a verifier wrongly took despite its encoding is
    // the encoding rules' failure (the checks that send it name them); here
    // only which certificate and nonce the query is about
    let lenient = Limits { deterministic: false, ..Limits::V0 };
    let used = decode_sign1(assertion, &lenient)
        .and_then(|a| {
            let payload = jpki_reference::codec::decode(a.payload(), &lenient)?;
            Ok((a.x5chain()?, AssertionPayload::from_value(payload)?))
        })
        .and_then(|(chain, payload)| {
            let leaf = chain.first().ok_or(jpki_reference::Error::new(jpki_reference::Code::Malformed, "no leaf"))?;
            Ok((ParsedCert::parse(provider, leaf)?.serial, payload.nonce))
        })
        .map_err(|e| format!("was made for an assertion that does not decode ({e}): no local check passed"))?;
    if asked.serial != used.0 || asked.nonce != used.1 {
        return Err("asks about another certificate or nonce than the assertion's".into());
    }
    Ok(())
}

/// A StatusRequest signed by a verifier certificate under the mobile root,
/// as the verifier `rp_id`; its payload.
fn signed_query(
    provider: &dyn CryptoProvider,
    mobile_root: &TrustAnchor,
    rp_id: &str,
    request: &[u8],
    now: UnixTime,
) -> std::result::Result<StatusRequestPayload, String> {
    let signed = decode_sign1(request, &Limits::V0).map_err(|e| format!("is not a COSE_Sign1: {e}"))?;
    let chain = signed.x5chain().map_err(|e| format!("carries no signer chain: {e}"))?;
    let signer = validate_chain(provider, &chain, mobile_root, Purpose::Verifier, now)
        .map_err(|e| format!("is not signed by a verifier certificate under the mobile root: {e}"))?;
    signed
        .verify(provider, &signer.public_key, b"")
        .map_err(|e| format!("has a signature that does not verify: {e}"))?;
    let asked = StatusRequestPayload::from_bytes(signed.payload()).map_err(|e| format!("has a payload that {e}"))?;
    if asked.rp_id != rp_id {
        return Err(format!("asks as {:?}, not as the verifier {rp_id:?}", asked.rp_id));
    }
    Ok(asked)
}

/// [`judge_status_request`] for a qualification reading (QUA-014): the
/// query is about the status identifier of the presented MSO, bound to the
/// presentation's nonce.
pub fn judge_mdoc_status_request(
    provider: &dyn CryptoProvider,
    mobile_root: &TrustAnchor,
    rp_id: &str,
    presentation: &[u8],
    request: &[u8],
    now: UnixTime,
) -> std::result::Result<(), String> {
    use jpki_reference::mdoc::{reader, session::MdocPresentation};
    let asked = signed_query(provider, mobile_root, rp_id, request, now)?;
    let shown = MdocPresentation::from_bytes(presentation)
        .and_then(|p| Ok((p.nonce, reader::read_device_response(provider, &p.device_response)?)))
        .map_err(|e| format!("was made for a presentation that does not decode ({e}): no local check passed"))?;
    let ids: Vec<Vec<u8>> = shown.1.iter().filter_map(|d| d.issuer_signed.mso.status_id.clone()).collect();
    if asked.nonce != shown.0 || !ids.contains(&asked.serial) {
        return Err("asks about another identifier or nonce than the presented MSO's".into());
    }
    Ok(())
}

/// A verifier role whose every status query is judged
/// ([`judge_status_request`]) before it reaches Status: a failure ends the
/// check on USE-009.
pub struct JudgedVerifier {
    inner: Box<dyn VerifierRole>,
    provider: &'static dyn CryptoProvider,
    mobile_root: TrustAnchor,
}

impl JudgedVerifier {
    /// Judges `inner`'s queries with the trust the reference verifier of
    /// this world was configured with.
    pub fn new(reference: &ReferenceVerifier, inner: Box<dyn VerifierRole>) -> JudgedVerifier {
        JudgedVerifier { inner, provider: reference.provider(), mobile_root: reference.config().mobile_anchor.clone() }
    }
}

impl VerifierRole for JudgedVerifier {
    fn rp_id(&self) -> &str {
        self.inner.rp_id()
    }

    fn request(&mut self, kind: Kind, purpose: &str, digest: Option<Digest>, now: UnixTime) -> Result<Vec<u8>> {
        self.inner.request(kind, purpose, digest, now)
    }

    fn verify(
        &mut self,
        assertion: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<(Vec<u8>, u32)> {
        let JudgedVerifier { inner, provider, mobile_root } = self;
        let rp_id = inner.rp_id().to_owned();
        let mut judged = |request: Vec<u8>| {
            if let Err(why) = judge_status_request(*provider, mobile_root, &rp_id, assertion, &request, now) {
                context::fail_on(
                    "USE-009",
                    "a status query signed with the verifier's certificate, about the assertion's certificate and nonce",
                    format!("the SUT's verifier sent a StatusRequest that {why}"),
                );
            }
            status(request)
        };
        inner.verify(assertion, now, &mut judged)
    }

    fn mdoc_request(&mut self, elements: &[String], now: UnixTime) -> Result<Vec<u8>> {
        self.inner.mdoc_request(elements, now)
    }

    fn mdoc_verify(
        &mut self,
        presentation: &[u8],
        now: UnixTime,
        status: &mut dyn FnMut(Vec<u8>) -> StatusAnswer,
    ) -> Result<Vec<u8>> {
        let JudgedVerifier { inner, provider, mobile_root } = self;
        let rp_id = inner.rp_id().to_owned();
        let mut judged = |request: Vec<u8>| {
            if let Err(why) = judge_mdoc_status_request(*provider, mobile_root, &rp_id, presentation, &request, now) {
                context::fail_on(
                    "QUA-014",
                    "a status query signed with the verifier's certificate, about the MSO's identifier and the nonce",
                    format!("the SUT's reader sent a StatusRequest that {why}"),
                );
            }
            status(request)
        };
        inner.mdoc_verify(presentation, now, &mut judged)
    }

    fn adopt_nonces(&mut self, nonces: Vec<Nonce>) {
        self.inner.adopt_nonces(nonces);
    }

    fn observe(&self) -> VerifierObservation {
        self.inner.observe()
    }

    fn load(&mut self, observation: VerifierObservation) -> Result<()> {
        self.inner.load(observation)
    }

    fn fork(&self) -> Option<Box<dyn VerifierRole>> {
        let inner = self.inner.fork()?;
        Some(Box::new(JudgedVerifier { inner, provider: self.provider, mobile_root: self.mobile_root.clone() }))
    }
}
