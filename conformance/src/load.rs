//! The load generator (`jpki-conformance load`): many holders' whole lives
//! driven at once against servers in test mode (one, or several instances
//! on one store), every request timed; then the invariants judged over
//! what the servers report. Each worker is a world of its own holders and
//! phones; the first resets the servers, the others attach keeping the
//! records. Steps are not judged one by one (that observes every table
//! twice a step): the whole is judged once, at the end.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use ciborium::Value;
use jpki_bindings::http::roles::{HttpBinding, control_map};
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::observation::WorldObservation;
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::time::CivilDate;
use jpki_reference::world::{FlowError, GOV_RP, IssueParams, LifecycleParams, World};
use jpki_server::client::{Client, timings};

use crate::checks::context::{self, Sut};
use crate::checks::served::Served;

/// What to run.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// The servers' base URLs (test mode); workers are spread over them.
    pub suts: Vec<String>,
    /// How many holders live a whole life.
    pub holders: usize,
    /// How many lives run at once.
    pub workers: usize,
    /// The test PKI's seed.
    pub seed: [u8; 32],
    /// A built-in (scenario) mutant the servers run instead of the reference.
    pub mutant: Option<String>,
}

/// One endpoint's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndpointFigures {
    /// Requests sent.
    pub requests: usize,
    /// Median time, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Answers other than 200.
    pub refused: usize,
}

/// What a run measured and found.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Wall time of the lives (not the final judging).
    pub elapsed: Duration,
    /// Lives completed whole.
    pub lives: usize,
    /// Lives that stopped at a refusal, and where.
    pub failed_lives: Vec<String>,
    /// Per endpoint (the protocol's steps; the test controls apart).
    pub endpoints: BTreeMap<String, EndpointFigures>,
    /// Refusals by registry code, over every step.
    pub errors: BTreeMap<String, usize>,
    /// The first refusal's detail of each code.
    pub first_detail: BTreeMap<String, String>,
    /// Protocol requests (the test controls not counted).
    pub requests: usize,
    /// Invariant violations over the servers' final state.
    pub violations: Vec<String>,
}

/// The steps of one life, in order: issuance of both kinds, three logins
/// and a signature, a move to a new phone (and the old one's wipe), a use
/// from it, suspension and resumption, and a revocation from the phone.
pub const LIFE: &[&str] = &[
    "issue",
    "authenticate",
    "authenticate",
    "authenticate",
    "sign",
    "migrate",
    "old phone's wipe",
    "authenticate from the new phone",
    "suspend",
    "resume",
    "revoke from the phone",
];

fn attributes() -> Result<HolderAttributes, String> {
    Ok(HolderAttributes {
        name: "山田 花子".into(),
        address: "東京都千代田区1-1".into(),
        date_of_birth: CivilDate::new(1990, 1, 1).ok_or("1990-01-01 is a date")?,
        sex: Sex::Female,
    })
}

/// One holder's life in world `w`; the step it stopped at, if any.
fn life(w: &mut World, holder: &str) -> Result<(), String> {
    let (phone, next) = (format!("{holder}/phone"), format!("{holder}/next"));
    w.add_holder(holder, attributes()?).map_err(|e| format!("register the card: {e}"))?;
    w.add_device(&phone);
    w.add_device(&next);
    w.set_online(&phone, true);
    let did = |step: &str, result: Result<(), FlowError>| -> Result<(), String> {
        result.map_err(|e| format!("{step}: {} ({})", e.error.code.as_str(), e.error))
    };
    did(LIFE[0], w.issue(holder, &phone, &IssueParams::both(1)).map(drop))?;
    for step in &LIFE[1..4] {
        did(step, w.authenticate(&phone, GOV_RP).map(drop))?;
    }
    did(LIFE[4], w.sign(&phone, GOV_RP, b"a lease").map(drop))?;
    did(LIFE[5], w.migrate_with_old_device(&phone, &next, &LifecycleParams::with_key(2)).map(drop))?;
    did(LIFE[6], w.sync_device(&phone).map(drop))?;
    did(LIFE[7], w.authenticate(&next, GOV_RP).map(drop))?;
    did(LIFE[8], w.holder_action(holder, HolderAction::Suspend, &LifecycleParams::with_key(3)).map(drop))?;
    did(LIFE[9], w.holder_action(holder, HolderAction::Resume, &LifecycleParams::with_key(4)).map(drop))?;
    did(LIFE[10], w.revoke_from_device(&next, RevocationReason::HolderRequest, &LifecycleParams::with_key(5)).map(drop))
}

/// A world on `sut`: the first resets the servers, the others keep the
/// records; each has the servers feed and ask their own Status.
fn world_on(sut: &str, config: &LoadConfig, first: bool) -> Result<World, String> {
    let seed = config.seed;
    context::enter(Sut::Http { url: sut.to_owned(), mutation: None }, seed);
    let mutant = config.mutant.as_deref();
    let binding =
        if first { HttpBinding::start(sut, &seed, mutant) } else { HttpBinding::attach_running(sut, &seed, mutant) };
    let own_status = control_map(vec![("url", Value::Null)]);
    let answer = Client::new()
        .post(&format!("{}/jpki/test/status-address", sut.trim_end_matches('/')), &own_status, None)
        .map_err(|e| format!("{sut}: status-address: {e}"))?;
    if answer.status != 200 {
        return Err(format!("{sut}: the status-address control answered {}", answer.status));
    }
    let mut world = World::with_factory_trusting(seed, None, Box::new(Served(Box::new(binding))), &[])
        .map_err(|e| format!("cannot build a world: {e}"))?;
    world.judge_each_step(false);
    Ok(world)
}

/// What a panic of a binding (the server broke its transport, or a rule of
/// the binding) said.
fn panic_said(payload: &(dyn std::any::Any + Send)) -> String {
    use jpki_bindings::outcome::{Broken, Missing, Violation};
    if let Some(Broken(detail)) = payload.downcast_ref::<Broken>() {
        format!("the server broke the transport: {detail}")
    } else if let Some(v) = payload.downcast_ref::<Violation>() {
        format!("{}: expected {}, got {}", v.requirement, v.expected, v.actual)
    } else if let Some(Missing(reason)) = payload.downcast_ref::<Missing>() {
        format!("the server lacks a control: {reason}")
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else {
        "a panic".to_owned()
    }
}

/// `work`, its panic (a binding ending the run) an `Err`.
fn caught<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| Err(panic_said(&*payload)))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Runs the lives; `progress(done, total)` is called as they end.
pub fn run(config: &LoadConfig, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<LoadReport, String> {
    if config.suts.is_empty() || config.workers == 0 {
        return Err("no server or no worker".into());
    }
    let workers = config.workers.min(config.holders.max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let ready = Barrier::new(workers);
    let set_up = Barrier::new(workers);
    let last_life_ended = Mutex::new(Instant::now());
    let outcomes: Mutex<Vec<Result<(), String>>> = Mutex::new(Vec::new());
    let observations: Mutex<Vec<WorldObservation>> = Mutex::new(Vec::new());
    let setup_failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let recorder = timings::Recorder::new();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (next, done, ready, outcomes, last_life_ended) = (&next, &done, &ready, &outcomes, &last_life_ended);
            let set_up = &set_up;
            let (observations, setup_failures, recorder) = (&observations, &setup_failures, &recorder);
            let sut = &config.suts[worker % config.suts.len()];
            scope.spawn(move || {
                recorder.attach();
                // the first world resets the servers before the others attach
                let world = if worker == 0 {
                    let world = caught(|| world_on(sut, config, true));
                    ready.wait();
                    world
                } else {
                    ready.wait();
                    caught(|| world_on(sut, config, false))
                };
                // no life starts before every world is set up: a set-up points
                // its server at the binding's own Status for a moment (then
                // back at the server's), and a life's StatusFeed must not go there
                set_up.wait();
                let mut world = match world {
                    Ok(world) => world,
                    Err(e) => {
                        setup_failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(e);
                        return;
                    }
                };
                loop {
                    let holder = next.fetch_add(1, Ordering::Relaxed);
                    if holder >= config.holders {
                        break;
                    }
                    let name = format!("holder{holder:06}");
                    let outcome = caught(|| life(&mut world, &name)).map_err(|e| format!("{name}: {e}"));
                    let ended_by_panic = outcome.as_ref().is_err_and(|e| e.contains("the server broke"));
                    outcomes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(outcome);
                    *last_life_ended.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, config.holders);
                    if ended_by_panic {
                        // this worker's connection is gone: its remaining holders go to the others
                        return;
                    }
                }
                let Ok(observation) = caught(|| Ok(world.observe())) else { return };
                observations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(observation);
            });
        }
    });
    // the lives' time, not the observations after them
    let elapsed = last_life_ended
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .saturating_duration_since(started);
    let kept = recorder.take();
    let setup_failures = setup_failures.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(first) = setup_failures.first() {
        return Err(first.clone());
    }
    let mut report = LoadReport { elapsed, ..LoadReport::default() };
    for outcome in outcomes.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        match outcome {
            Ok(()) => report.lives += 1,
            Err(e) => report.failed_lives.push(e),
        }
    }
    let mut times: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for timing in kept.iter().filter(|t| t.path.starts_with("/jpki/v0/")) {
        times.entry(timing.path.clone()).or_default().push(timing.took);
        report.requests += 1;
        let figures = report.endpoints.entry(timing.path.clone()).or_default();
        figures.requests += 1;
        if let Some(body) = &timing.refusal {
            figures.refused += 1;
            let (code, detail) = ErrorMessage::from_bytes(body).map_or_else(
                |_| (format!("HTTP {} (no error object)", timing.status), String::new()),
                |m| (m.code.as_str().to_owned(), m.detail),
            );
            report.first_detail.entry(code.clone()).or_insert(detail);
            *report.errors.entry(code).or_default() += 1;
        }
    }
    for (path, mut durations) in times {
        durations.sort();
        if let Some(figures) = report.endpoints.get_mut(&path) {
            figures.p50_ms = percentile(&durations, 0.50);
            figures.p99_ms = percentile(&durations, 0.99);
        }
    }
    // one picture of the servers, taken after every life ended (a world of
    // its own, keeping the records), every worker's phones and cards beside it
    let mut whole = caught(|| Ok(world_on(&config.suts[0], config, false)?.observe()))?;
    for other in observations.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        whole.devices.extend(other.devices);
        whole.cards.extend(other.cards);
    }
    report.violations = jpki_reference::invariants::check(&whole)
        .into_iter()
        .map(|v| format!("INV-{:03}: {}", v.invariant, v.detail))
        .collect();
    Ok(report)
}
