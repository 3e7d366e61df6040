//! How the conformance suite reaches a system under test. Each binding
//! implements the reference's role traits (`jpki_reference::roles`) over its
//! own transport, so that the checks drive every SUT through one interface:
//!
//! - in process: the reference roles themselves ([`InProcess`]);
//! - [`shim`]: an adapter process on a pipe (`conformance/SHIM.md`);
//! - [`http`]: a server speaking the HTTP binding (`spec/http.md`).
//!
//! A binding knows nothing of the checks (this crate cannot import them): it
//! says which roles the SUT serves and hands them out, and reports a broken
//! SUT through the panic payloads of [`outcome`], which the runner reads.

pub mod http;
pub mod outcome;
pub mod shim;

use jpki_reference::roles::{
    DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier, StatusRole,
    VerifierRole,
};

/// The roles of a world a SUT may serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServedRole {
    /// The Issuer.
    Issuer,
    /// Status.
    Status,
    /// A verifier.
    Verifier,
    /// A wallet.
    Device,
}

impl ServedRole {
    /// The role's name in a shim's `hello` and a server's `reset` answer.
    pub fn as_str(self) -> &'static str {
        match self {
            ServedRole::Issuer => "issuer",
            ServedRole::Status => "status",
            ServedRole::Verifier => "verifier",
            ServedRole::Device => "device",
        }
    }
}

/// A SUT reached through one transport: for each role of a world, the SUT's
/// own (`Some`), or `None` when the SUT does not serve it and the
/// reference plays it. Each method receives the reference role the world
/// would use, for its configuration (an rp id) or to serve it itself.
pub trait Binding {
    /// The Issuer, if the SUT serves it.
    fn issuer(&mut self, reference: &ReferenceIssuer) -> Option<Box<dyn IssuerRole>>;
    /// Status, if the SUT serves it.
    fn status(&mut self, reference: &ReferenceStatus) -> Option<Box<dyn StatusRole>>;
    /// A verifier, if the SUT serves it.
    fn verifier(&mut self, reference: &ReferenceVerifier) -> Option<Box<dyn VerifierRole>>;
    /// The wallet `name`, if the SUT serves it.
    fn device(&mut self, name: &str, reference: &ReferenceDevice) -> Option<Box<dyn DeviceRole>>;
    /// A copy for a forked world (explorers that branch); `None` for a
    /// binding to another process, which cannot be copied.
    fn fork(&self) -> Option<Box<dyn Binding>> {
        None
    }
}

/// The embedded reference as a SUT: it serves every role itself.
pub struct InProcess;

impl Binding for InProcess {
    fn issuer(&mut self, reference: &ReferenceIssuer) -> Option<Box<dyn IssuerRole>> {
        Some(Box::new(reference.clone()))
    }
    fn status(&mut self, reference: &ReferenceStatus) -> Option<Box<dyn StatusRole>> {
        Some(Box::new(reference.clone()))
    }
    fn verifier(&mut self, reference: &ReferenceVerifier) -> Option<Box<dyn VerifierRole>> {
        Some(Box::new(reference.clone()))
    }
    fn device(&mut self, _name: &str, reference: &ReferenceDevice) -> Option<Box<dyn DeviceRole>> {
        // a world of reference roles is the suite's own: it holds every key
        Some(Box::new(reference.clone().played_by_suite()))
    }
    fn fork(&self) -> Option<Box<dyn Binding>> {
        Some(Box::new(InProcess))
    }
}
