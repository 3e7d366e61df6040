//! The SUT's roles in a check's world: those its binding serves, each
//! recorded (a pass must drive them) and, for Status and verifiers, judged
//! on every answer that crosses to the other; the reference plays the rest.
//! This is the one place that picks a binding for a SUT; the check scripts
//! see only the world.

use jpki_bindings::http::roles::HttpBinding;
use jpki_bindings::shim::roles::ShimBinding;
use jpki_bindings::{Binding, InProcess};
use jpki_reference::roles::{
    DeviceRole, IssuerRole, ReferenceDevice, ReferenceIssuer, ReferenceStatus, ReferenceVerifier, StatusRole,
    VerifierRole,
};
use jpki_reference::world::{RoleFactory, World};

use super::context::{self, Failure, Sut};
use super::judge::{JudgedStatus, JudgedVerifier};
use super::recording::Recorded;

/// The binding that reaches `sut`, for one world of `seed`.
pub fn binding(sut: &Sut, seed: &[u8; 32]) -> Box<dyn Binding> {
    match sut {
        Sut::Reference | Sut::Mutant(_) => Box::new(InProcess),
        Sut::Shim { command, mutation } => Box::new(ShimBinding::start(command, seed, mutation.map(|m| m.name()))),
        Sut::Http { url, mutation } => Box::new(HttpBinding::start(url, seed, mutation.map(|m| m.name()))),
    }
}

/// A world's roles: the binding's, recorded and judged; the reference's for the rest.
pub struct Served(pub Box<dyn Binding>);

impl RoleFactory for Served {
    fn issuer(&mut self, reference: ReferenceIssuer) -> Box<dyn IssuerRole> {
        match self.0.issuer(&reference) {
            Some(served) => Box::new(Recorded(served)),
            None => Box::new(reference),
        }
    }
    fn status(&mut self, reference: ReferenceStatus) -> Box<dyn StatusRole> {
        match self.0.status(&reference) {
            // its answers go to verifiers the SUT may serve too: the suite judges each (STA-003)
            Some(served) => Box::new(JudgedStatus::new(&reference, Box::new(Recorded(served)))),
            None => Box::new(reference),
        }
    }
    fn verifier(&mut self, reference: ReferenceVerifier) -> Box<dyn VerifierRole> {
        match self.0.verifier(&reference) {
            // its status queries may go to a Status the SUT serves too: the suite judges each (USE-009)
            Some(served) => Box::new(JudgedVerifier::new(&reference, Box::new(Recorded(served)))),
            None => Box::new(reference),
        }
    }
    fn device(&mut self, name: &str, reference: ReferenceDevice) -> Box<dyn DeviceRole> {
        match self.0.device(name, &reference) {
            Some(served) => Box::new(Recorded(served)),
            None => Box::new(reference.played_by_suite()),
        }
    }
    fn fork(&self) -> Option<Box<dyn RoleFactory>> {
        self.0.fork().map(|binding| Box::new(Served(binding)) as Box<dyn RoleFactory>)
    }
}

/// A fresh world for the running check: its SUT, its seed (a script that
/// needs a second independent world passes a `variant` > 0).
pub fn world(variant: u8) -> World {
    let mut seed = context::seed();
    seed[31] ^= variant;
    world_with_seed(seed)
}

/// A world for the running check's SUT built from a given seed (fixed
/// vectors use the seed their PKI derives from).
pub fn world_with_seed(seed: [u8; 32]) -> World {
    let sut = context::sut();
    let mutation = match &sut {
        Sut::Mutant(m) => Some(*m),
        _ => None,
    };
    let served = Box::new(Served(binding(&sut, &seed)));
    match World::with_factory_trusting(seed, mutation, served, &context::platform_roots()) {
        Ok(world) => world,
        Err(e) => std::panic::panic_any(Failure::setup(format!("cannot build the world: {e}"))),
    }
}
