//! The use flows through the world: request, assertion, verification with
//! one status query.

use super::{AcceptedUse, FlowError, Hop, World};
use crate::device::{self, UserVerification};
use crate::error::{Code, Error};
use crate::msgs::error_msg::ErrorMessage;
use crate::msgs::{Digest, Kind, Message};
use crate::status;
use crate::verifier::{self, PendingUse, StatusAnswer};

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
            let (config, state) = w.verifiers.get(rp).ok_or(Error::new(Code::Malformed, "no such verifier"))?;
            let (next, bytes) = verifier::request(config, state, kind, purpose, document_digest, &mut w.entropy, now)?;
            if let Some(entry) = w.verifiers.get_mut(rp) {
                entry.1 = next;
            }
            Ok(bytes)
        })?;
        Ok(self.in_flight(Hop::UseRequest, bytes))
    }

    /// Device: answers a UseRequest after user verification `uv`.
    pub fn assertion(&mut self, device: &str, request: &[u8], uv: UserVerification) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let bytes = self.deliver(Hop::UseRequest, |w| {
            let (_, state) = w.devices.get(device).ok_or(Error::new(Code::Malformed, "no such device"))?;
            let (next, bytes) = device::assert(provider, state, request, uv, now)?;
            if let Some(entry) = w.devices.get_mut(device) {
                entry.1 = next;
            }
            Ok(bytes)
        })?;
        Ok(self.in_flight(Hop::Assertion, bytes))
    }

    /// Verifier `rp`: checks an assertion, asks Status once, and accepts.
    pub fn verify(&mut self, rp: &str, assertion: &[u8]) -> Result<AcceptedUse, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let (pending, status_request) = self.deliver(Hop::Assertion, |w| {
            let (config, state) = w.verifiers.get(rp).ok_or(Error::new(Code::Malformed, "no such verifier"))?;
            verifier::check_assertion(provider, config, state, assertion, now)
        })?;
        let status_request = self.in_flight(Hop::StatusRequest, status_request);
        let answer =
            if self.status_reachable {
                let answered = self.deliver(Hop::StatusRequest, |w| {
                    let (next, response) = status::answer(provider, &w.status_config, &w.status, &status_request, now)?;
                    w.status = next;
                    Ok(response)
                });
                match answered {
                    Ok(response) => StatusAnswer::Response(self.in_flight(Hop::StatusResponse, response)),
                    // Status answers its refusal as an Error message; the verifier reads it.
                    Err(refusal) => {
                        let message = ErrorMessage::from_error(&refusal.error).to_bytes().map_err(|error| {
                            FlowError { error, hop: Hop::StatusRequest, unchanged: refusal.unchanged }
                        })?;
                        StatusAnswer::Refused(message)
                    }
                }
            } else {
                StatusAnswer::Unreachable
            };
        self.complete_use(rp, &pending, &answer)
    }

    fn complete_use(
        &mut self,
        rp: &str,
        pending: &PendingUse,
        answer: &StatusAnswer,
    ) -> Result<AcceptedUse, FlowError> {
        let now = self.now;
        let provider = self.provider;
        self.deliver(Hop::StatusResponse, |w| {
            let (config, state) = w.verifiers.get(rp).ok_or(Error::new(Code::Malformed, "no such verifier"))?;
            let next = verifier::complete(provider, config, state, pending, answer, now)?;
            if let Some(entry) = w.verifiers.get_mut(rp) {
                entry.1 = next;
            }
            Ok(AcceptedUse { serial: pending.serial.clone(), counter: pending.counter })
        })
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
