//! The suite's judge of messages that cross between two roles one SUT
//! serves: a Status answer the SUT's own verifier asked for is judged here,
//! as the suite would judge it arriving at a verifier of its own, so that a
//! verifier lenient with its own Status cannot hide that Status's defects.

use jpki_reference::Result;
use jpki_reference::codec::{Limits, cose_sign1::decode_sign1};
use jpki_reference::constants::STATUS_FRESHNESS_SECS;
use jpki_reference::crypto::CryptoProvider;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::status::{StatusRequestPayload, StatusResponsePayload};
use jpki_reference::observation::StatusObservation;
use jpki_reference::pki::{Purpose, TrustAnchor, validate_chain};
use jpki_reference::roles::{ReferenceStatus, StatusRole};
use jpki_reference::time::UnixTime;

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
