//! The use flows through the world: request, assertion, verification with
//! one status query.

use super::{AcceptedUse, FlowError, Hop, World, no_such};
use crate::device::UserVerification;
use crate::mdoc::session::MdocReading;
use crate::msgs::error_msg::ErrorMessage;
use crate::msgs::{Digest, Kind, Message, Nonce};
use crate::observation::{IssuerObservation, StatusObservation, VerifierObservation, WorldObservation};
use crate::roles::VerifierRole;
use crate::time::UnixTime;
use crate::verifier::StatusAnswer;

impl World {
    /// Verifier `rp`: a UseRequest.
    pub fn use_request(
        &mut self,
        rp: &str,
        kind: Kind,
        purpose: &str,
        document_digest: Option<Digest>,
    ) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let bytes = self.deliver(Hop::UseRequest, |w| {
            let verifier = w.verifiers.get_mut(rp).ok_or(no_such("no such verifier"))?;
            verifier.request(kind, purpose, document_digest, now)
        })?;
        if let Ok(request) = crate::msgs::usage::UseRequest::from_bytes(&bytes) {
            self.issued_nonces.push((rp.to_owned(), request.nonce));
        }
        Ok(self.in_flight(Hop::UseRequest, bytes))
    }

    /// Device: answers a UseRequest after user verification `uv`.
    pub fn assertion(&mut self, device: &str, request: &[u8], uv: UserVerification) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let bytes = self.deliver(Hop::UseRequest, |w| w.device_mut(device)?.assert(request, uv, now))?;
        Ok(self.in_flight(Hop::Assertion, bytes))
    }

    /// Verifier `rp`: checks an assertion, asks Status once (the suite
    /// plays the network: tampering, reachability), and accepts.
    ///
    /// Nothing is patched after a refusal: the invariant checker judges the
    /// snapshots as they are (a `good` answer Status gave stands, STA-009).
    pub fn verify(&mut self, rp: &str, assertion: &[u8]) -> Result<AcceptedUse, FlowError> {
        let (serial, counter) =
            self.verify_through(rp, Hop::Assertion, |verifier, now, ask| verifier.verify(assertion, now, ask))?;
        Ok(AcceptedUse { serial, counter })
    }

    /// Verifier `rp` (as a qualification reader): a reading's MdocRequest
    /// for `elements` (QUA-008).
    pub fn mdoc_request(&mut self, rp: &str, elements: &[&str]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let elements: Vec<String> = elements.iter().map(|e| (*e).to_owned()).collect();
        let bytes = self.deliver(Hop::MdocRequest, |w| {
            let verifier = w.verifiers.get_mut(rp).ok_or(no_such("no such verifier"))?;
            verifier.mdoc_request(&elements, now)
        })?;
        // a reading's nonce is a verifier nonce: a model adopts it as it adopts a use's
        if let Ok(request) = crate::mdoc::session::MdocRequest::from_bytes(&bytes) {
            self.issued_nonces.push((rp.to_owned(), request.nonce));
        }
        Ok(self.in_flight(Hop::MdocRequest, bytes))
    }

    /// Device: answers an MdocRequest with the elements the holder
    /// `approved`, after user verification `uv` (QUA-005 … QUA-007).
    pub fn present_mdoc(
        &mut self,
        device: &str,
        request: &[u8],
        approved: &[&str],
        uv: UserVerification,
    ) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let approved: Vec<String> = approved.iter().map(|e| (*e).to_owned()).collect();
        let bytes =
            self.deliver(Hop::MdocRequest, |w| w.device_mut(device)?.present_mdoc(request, &approved, uv, now))?;
        Ok(self.in_flight(Hop::MdocPresentation, bytes))
    }

    /// Verifier `rp` reads a presentation, asking Status once (QUA-009 …
    /// QUA-014); returns what it accepted.
    pub fn verify_mdoc(&mut self, rp: &str, presentation: &[u8]) -> Result<MdocReading, FlowError> {
        let reading = self.verify_through(rp, Hop::MdocPresentation, |verifier, now, ask| {
            verifier.mdoc_verify(presentation, now, ask)
        })?;
        MdocReading::from_bytes(&reading).map_err(|error| FlowError {
            error,
            hop: Hop::MdocPresentation,
            unchanged: false,
        })
    }

    /// Runs one verifier judgement that may ask Status once (the suite
    /// plays the network: tampering, reachability).
    ///
    /// Nothing is patched after a refusal: the invariant checker judges the
    /// snapshots as they are (a `good` answer Status gave stands, STA-009).
    fn verify_through<T>(
        &mut self,
        rp: &str,
        hop: Hop,
        judge: impl FnOnce(&mut dyn VerifierRole, UnixTime, &mut dyn FnMut(Vec<u8>) -> StatusAnswer) -> crate::Result<T>,
    ) -> Result<T, FlowError> {
        let now = self.now;
        let judging = self.judging();
        let before = if judging { self.observe() } else { WorldObservation::default() };
        let result = {
            let World { verifiers, status, tamper, status_reachable, .. } = &mut *self;
            match verifiers.get_mut(rp) {
                None => Err(no_such("no such verifier")),
                Some(verifier) => {
                    let mut ask_status = |mut request: Vec<u8>| {
                        if let Some(t) = tamper.as_mut() {
                            t(Hop::StatusRequest, &mut request);
                        }
                        if !*status_reachable {
                            return StatusAnswer::Unreachable;
                        }
                        match status.answer(&request, now) {
                            Ok(mut response) => {
                                if let Some(t) = tamper.as_mut() {
                                    t(Hop::StatusResponse, &mut response);
                                }
                                StatusAnswer::Response(response)
                            }
                            // Status answers a refusal as an Error message
                            Err(refusal) => match ErrorMessage::from_error(&refusal).to_bytes() {
                                Ok(bytes) => StatusAnswer::Refused(bytes),
                                Err(_) => StatusAnswer::Unreachable,
                            },
                        }
                    };
                    judge(verifier.as_mut(), now, &mut ask_status)
                }
            }
        };
        if !judging {
            return result.map_err(|error| FlowError { error, hop, unchanged: false });
        }
        let after = self.observe();
        self.violations.extend(crate::invariants::check_step(&before, &after));
        self.violations.extend(crate::invariants::check(&after));
        if let Some(observer) = self.step_observer {
            observer(&before, now, &after, now);
        }
        result.map_err(|error| {
            let refusal = crate::invariants::check_refusal(&before, &after, error.code);
            let unchanged = refusal.is_empty();
            self.violations.extend(refusal);
            FlowError { error, hop, unchanged }
        })
    }

    /// Verifier `rp` judges an assertion with a given Status answer (fixed
    /// vectors carry Status's answer instead of asking a live Status).
    /// Also says how many status queries the verifier made (USE-009).
    pub fn verify_with_answer(
        &mut self,
        rp: &str,
        assertion: &[u8],
        answer: StatusAnswer,
    ) -> (Result<AcceptedUse, FlowError>, usize) {
        let now = self.now;
        let mut queries = 0;
        let result = self.deliver(Hop::Assertion, |w| {
            let verifier = w.verifiers.get_mut(rp).ok_or(no_such("no such verifier"))?;
            let (serial, counter) = verifier.verify(assertion, now, &mut |_| {
                queries += 1;
                answer.clone()
            })?;
            Ok(AcceptedUse { serial, counter })
        });
        (result, queries)
    }

    /// The nonces the verifiers drew since the last call, with their rp
    /// id, in order (as their UseRequests carried them); forgets them.
    pub fn take_issued_nonces(&mut self) -> Vec<(String, Nonce)> {
        std::mem::take(&mut self.issued_nonces)
    }

    /// Model only: the verifiers' next UseRequests carry `nonces` (rp id
    /// and nonce, in order) instead of nonces they draw, so that this world
    /// adopts what a system under test drew (see
    /// [`VerifierRole::adopt_nonces`](crate::roles::VerifierRole::adopt_nonces)).
    /// Replaces every verifier's queue, emptying those not named.
    pub fn adopt_nonces(&mut self, nonces: Vec<(String, Nonce)>) {
        for (rp, verifier) in self.verifiers.iter_mut() {
            verifier.adopt_nonces(nonces.iter().filter(|(r, _)| r == rp).map(|(_, n)| *n).collect());
        }
    }

    /// Control: sets verifier `rp`'s stored state to what `observation` describes.
    pub fn load_verifier(&mut self, rp: &str, observation: VerifierObservation) -> crate::Result<()> {
        self.verifiers.get_mut(rp).ok_or(no_such("no such verifier"))?.load(observation)
    }

    /// Control: sets the Issuer's stored state to what `observation` describes.
    pub fn load_issuer(&mut self, observation: IssuerObservation) -> crate::Result<()> {
        self.issuer.load(observation)
    }

    /// Control: sets Status's stored state to what `observation` describes.
    pub fn load_status(&mut self, observation: StatusObservation) -> crate::Result<()> {
        self.status.load(observation)
    }

    /// The Issuer judges an IssuanceRequest (fixed vectors: no device installs the answer).
    pub fn issuer_judges(&mut self, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        self.deliver(Hop::IssuanceRequest, |w| Ok(w.issuer.issue(request, now)?.response))
    }

    /// The Issuer judges a lifecycle request at `endpoint` (`migrate`,
    /// `holder_action`, `device_revocation`, `acknowledge_wipe`, `issue`);
    /// Status is fed what the Issuer changed, no device installs anything.
    pub fn issuer_judges_at(&mut self, endpoint: &str, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let endpoint = endpoint.to_owned();
        self.deliver(Hop::IssuanceRequest, move |w| {
            let output = match endpoint.as_str() {
                "issue" => w.issuer.issue(request, now)?,
                "migrate" => w.issuer.migrate(request, now)?,
                "holder_action" => w.issuer.holder_action(request, now)?,
                "device_revocation" => w.issuer.device_revocation(request, now)?,
                "acknowledge_wipe" => return w.issuer.acknowledge_wipe(request, now).map(|()| Vec::new()),
                other => return Err(crate::Error::with_detail(crate::Code::Malformed, format!("no endpoint {other}"))),
            };
            // the back office: Status hears every change the Issuer made
            w.feed(&output)?;
            Ok(output.response)
        })
    }

    /// Chaos (ISS-016): the Issuer, too busy to judge `request`, refuses it
    /// with `retry_later`; the request never reaches it, nothing changes.
    pub fn issuer_busy(&mut self, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let _unjudged = request;
        self.deliver(Hop::IssuanceRequest, |_| {
            Err(crate::Error::with_detail(crate::Code::RetryLater, "the Issuer is busy: send the same request again"))
        })
    }

    /// A device judges a message at `endpoint` (fixed vectors):
    /// `issuance_challenge` (answered with the payload for the card, both
    /// kinds asked), `use_request` (answered with biometric user
    /// verification), `use_request_without_uv` (the holder was not
    /// verified: refused, DEV-001), `issuance_response`
    /// (installed on the pending keys) or `wipe_command` (carried out).
    pub fn device_judges(&mut self, device: &str, endpoint: &str, input: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        match endpoint {
            "use_request" => {
                self.deliver(Hop::UseRequest, |w| w.device_mut(device)?.assert(input, UserVerification::BIOMETRIC, now))
            }
            "use_request_without_uv" => {
                self.deliver(Hop::UseRequest, |w| w.device_mut(device)?.assert(input, UserVerification::NONE, now))
            }
            "issuance_response" => {
                self.deliver(Hop::IssuanceResponse, |w| w.device_mut(device)?.install(input, now).map(|()| Vec::new()))
            }
            "wipe_command" => self.deliver(Hop::WipeCommand, |w| w.device_mut(device)?.apply_wipe(input, now)),
            "issuance_challenge" => self.deliver(Hop::IssuanceChallenge, |w| {
                let choice = crate::device::IssuanceChoice {
                    kinds: Kind::ALL.to_vec(),
                    notification_address: "vectors@mail.example.jp".into(),
                    idempotency_key: [1; 16],
                    replaces: Vec::new(),
                    qualification: 0,
                };
                w.device_mut(device)?.prepare_issuance(input, &choice, now)
            }),
            other => Err(FlowError {
                error: crate::Error::with_detail(crate::Code::Malformed, format!("no device endpoint {other}")),
                hop: Hop::UseRequest,
                unchanged: true,
            }),
        }
    }

    /// Status judges a StatusFeed from the Issuer's back office.
    pub fn status_feed_judges(&mut self, feed: &[u8]) -> Result<(), FlowError> {
        let now = self.now;
        self.deliver(Hop::StatusFeed, |w| w.status.apply_feed(feed, now))
    }

    /// Status judges a StatusRequest.
    pub fn status_judges(&mut self, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        self.deliver(Hop::StatusRequest, |w| w.status.answer(request, now))
    }

    /// Status publishes one chunk of its status list (STL-004), judged like
    /// any step: the world checks it changed nothing (STL-007).
    pub fn status_list(&mut self, chunk: u64) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        self.deliver(Hop::StatusResponse, |w| w.status.list(chunk, now))
    }

    /// Status (as the suite plays it) answers a StatusRequest.
    pub fn status_answer(&mut self, request: &[u8]) -> crate::Result<Vec<u8>> {
        let now = self.now;
        self.status.answer(request, now)
    }

    /// Authentication end to end: `rp` asks, `device` answers with biometrics.
    pub fn authenticate(&mut self, device: &str, rp: &str) -> Result<AcceptedUse, FlowError> {
        let request = self.use_request(rp, Kind::Auth, "log in", None)?;
        let assertion = self.assertion(device, &request, UserVerification::BIOMETRIC)?;
        self.verify(rp, &assertion)
    }

    /// Signing end to end over `document`.
    pub fn sign(&mut self, device: &str, rp: &str, document: &[u8]) -> Result<AcceptedUse, FlowError> {
        let digest = self.provider.sha256(document);
        let request = self.use_request(rp, Kind::Sign, "sign a tax return", Some(digest))?;
        let assertion = self.assertion(device, &request, UserVerification::BIOMETRIC)?;
        self.verify(rp, &assertion)
    }
}
