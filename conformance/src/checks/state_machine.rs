//! The property runs as a `proptest-state-machine` test: the reference is
//! the model ([`LifecycleModel`], a `ReferenceStateMachine` whose state is a
//! reference world, stepped after the SUT so that it adopts the nonces the
//! SUT drew) and the
//! SUT is a world whose roles come from the running check's binding
//! ([`LifecycleTest`], a `StateMachineTest`). After every operation the
//! SUT's answer must equal the model's, its snapshot must equal the model's,
//! and its world must find no invariant of PROTOCOL.md §4 violated.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use jpki_reference::world::World;
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

use super::context;
use super::divergence::{Divergence, compare_step};
use super::property::{Op, apply_sut_then_model, op, world_for};

/// The model's state: a reference world and how many operations it has
/// been given. The world moves in [`LifecycleTest::apply`], after the SUT
/// has taken the step, because the model adopts what the SUT drew at
/// random (its verifiers' nonces); hence the cell.
pub struct ModelState {
    seed: [u8; 32],
    world: RefCell<World>,
    steps: usize,
}

impl ModelState {
    fn initial(seed: [u8; 32]) -> ModelState {
        let mut world = world_for(false, seed);
        // every delivery and clock step of the model counts its transitions (when counting)
        world.observe_steps(super::transitions::record_step);
        ModelState { seed, world: RefCell::new(world), steps: 0 }
    }
}

impl Clone for ModelState {
    #[allow(clippy::expect_used)] // a world of reference roles always forks
    fn clone(&self) -> Self {
        let world = self.world.borrow().fork().expect("a reference world forks");
        ModelState { seed: self.seed, world: RefCell::new(world), steps: self.steps }
    }
}

impl fmt::Debug for ModelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelState {{ steps: {} }}", self.steps)
    }
}

/// The reference as the model.
pub struct LifecycleModel;

impl ReferenceStateMachine for LifecycleModel {
    type State = ModelState;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<ModelState> {
        // the running check's seed: the model and the SUT worlds derive from it
        Just(ModelState::initial(context::seed())).boxed()
    }

    fn transitions(_state: &ModelState) -> BoxedStrategy<Op> {
        op().boxed()
    }

    fn apply(mut state: ModelState, _transition: &Op) -> ModelState {
        // the world takes the step in `LifecycleTest::apply`, after the SUT
        state.steps += 1;
        state
    }
}

/// A divergence between the SUT and the model (the panic payload that ends a case).
#[derive(Clone, Debug)]
pub struct Diverged(pub Divergence);

/// What a stopped case's panic payload says: a divergence, a failed step,
/// or a stop tied to no requirement.
pub fn stopped(payload: &(dyn std::any::Any + Send)) -> Divergence {
    if let Some(d) = payload.downcast_ref::<Diverged>() {
        return d.0.clone();
    }
    if let Some(f) = payload.downcast_ref::<context::Failure>() {
        return Divergence {
            requirement: f.requirement.clone(),
            detail: format!("{} (expected {})", f.actual, f.expected),
        };
    }
    let detail = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a step stopped".into());
    Divergence { requirement: None, detail }
}

/// The SUT driven through its binding, step by step against the model.
pub struct LifecycleTest;

impl StateMachineTest for LifecycleTest {
    type SystemUnderTest = World;
    type Reference = LifecycleModel;

    fn init_test(model: &ModelState) -> World {
        world_for(true, model.seed)
    }

    fn apply(mut sut: World, model: &ModelState, transition: Op) -> World {
        let mut world = model.world.borrow_mut();
        let step = model.steps.saturating_sub(1);
        let (expected, actual) = match apply_sut_then_model(&mut world, &mut sut, step, &transition) {
            Ok(answers) => answers,
            Err(divergence) => std::panic::panic_any(Diverged(divergence)),
        };
        // answers, then states, then invariants: the first difference names its requirement
        if let Err(divergence) = compare_step(step, &transition, (&world, &expected), (&sut, &actual)) {
            std::panic::panic_any(Diverged(divergence));
        }
        sut
    }

    fn check_invariants(_sut: &World, _model: &ModelState) {
        // `apply` has compared states and invariants with the step in hand
    }
}

/// Runs one generated case: `Ok(None)` when the SUT and the model agree at
/// every step, `Ok(Some(why))` at the first divergence (or a stopped
/// step), `Err` when the SUT does not implement a step.
pub fn run_case(
    model: ModelState,
    ops: Vec<Op>,
    seen: Option<Arc<AtomicUsize>>,
) -> Result<Option<String>, context::Unimplemented> {
    let quiet = Config { verbose: 0, ..Config::default() };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        LifecycleTest::test_sequential(quiet, model, ops, seen);
    })) {
        Ok(()) => Ok(None),
        Err(payload) => {
            if let Some(missing) = payload.downcast_ref::<context::Unimplemented>() {
                return Err(missing.clone());
            }
            Ok(Some(stopped(payload.as_ref()).to_string()))
        }
    }
}
