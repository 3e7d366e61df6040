//! The reference Issuer, Status and verifiers as HTTP servers
//! (spec/http.md), on an embedded SQLite store or a PostgreSQL database
//! several instances share.
//!
//! The protocol logic is the reference's, unchanged and sans-IO: each step
//! reads the records it needs through the core's record traits and returns
//! its writes, which the store applies in the step's transaction. This
//! crate is the edge: HTTP, SQLite, the clock, randomness and the calls to
//! other servers.

pub mod app;
pub mod chaos;
pub mod client;
pub mod controls;
pub mod delivery;
pub mod edge;
pub mod failpoint;
pub mod faults;
pub mod mail;
mod outbound;
pub mod roles;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jpki_reference::http::ServerRole;
use jpki_reference::mutants::Mutation;

use crate::app::{App, Clock, Inner};
use crate::roles::Roles;
use crate::store::Store;

/// How to start a server.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Where to listen (port 0: any free port).
    pub address: SocketAddr,
    /// The data folder (created if absent); `None` keeps the store in
    /// memory (or in `store`).
    pub data: Option<PathBuf>,
    /// A PostgreSQL database (`postgres://…`) to keep the records in
    /// instead of the data folder's SQLite file; several instances may
    /// share it.
    pub store: Option<String>,
    /// Offer the test controls (HTTP-010: loopback only).
    pub test_mode: bool,
    /// The roles to host.
    pub roles: Vec<ServerRole>,
    /// The seed of the test PKI; when `None`, the one the data folder
    /// recorded, or a fresh one (recorded there).
    pub seed: Option<[u8; 32]>,
    /// A built-in (scenario) mutant to run instead of the reference.
    pub mutation: Option<Mutation>,
    /// A planted bug of the HTTP edge (the binding checks' own test only).
    pub fault: Option<faults::EdgeFault>,
    /// Where notifications go as e-mail.
    pub mail: mail::MailConfig,
    /// The e-mails' sender and the operator's mailbox.
    pub senders: delivery::Senders,
    /// A failpoint to stop at (test mode only: the crash tests).
    pub failpoint: Option<String>,
    /// The percentage of issuance requests chaos takes a turn with
    /// (`serve --chaos`, [`chaos`]).
    pub chaos: Option<u8>,
    /// Platform attestation roots (DER) the Issuer trusts beside the test
    /// PKI's: those a vendor's wallet attests its keys under.
    pub platform_roots: Vec<Vec<u8>>,
}

impl ServeConfig {
    /// A test-mode server of every role on a free loopback port, in memory.
    pub fn for_tests() -> ServeConfig {
        ServeConfig {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: None,
            store: None,
            test_mode: true,
            roles: vec![ServerRole::Issuer, ServerRole::Status, ServerRole::Verifier],
            seed: None,
            mutation: None,
            fault: None,
            mail: mail::MailConfig::Off,
            senders: delivery::Senders::default(),
            failpoint: None,
            chaos: None,
            platform_roots: Vec::new(),
        }
    }
}

/// A running server.
pub struct Running {
    /// Where it listens.
    pub address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    stop_worker: Arc<AtomicBool>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Its base URL, `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Waits until the server stops (it runs until the process ends).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.stop_worker.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.halt();
    }
}

fn store_and_seed(config: &ServeConfig) -> Result<(Store, [u8; 32]), String> {
    let mut store = match &config.data {
        _ if config.store.is_some() => {
            Store::connect(config.store.as_deref().unwrap_or_default()).map_err(|e| e.to_string())?
        }
        Some(folder) => {
            std::fs::create_dir_all(folder).map_err(|e| format!("cannot create the data folder {folder:?}: {e}"))?;
            Store::open(&folder.join("jpki.sqlite3")).map_err(|e| e.to_string())?
        }
        None => Store::in_memory().map_err(|e| e.to_string())?,
    };
    let recorded = store.write(|tx| store::meta_get(tx, "seed")).map_err(|e| e.to_string())?;
    let seed = match (config.seed, recorded) {
        (Some(seed), _) => seed,
        (None, Some(recorded)) => recorded.try_into().map_err(|_| "the recorded seed is not 32 bytes".to_owned())?,
        (None, None) => client::fresh_key()
            .into_iter()
            .chain(client::fresh_key())
            .collect::<Vec<u8>>()
            .try_into()
            .map_err(|_| "seed".to_owned())?,
    };
    store.write(|tx| store::meta_set(tx, "seed", &seed)).map_err(|e| e.to_string())?;
    Ok((store, seed))
}

/// Starts a server on its own thread; returns once it listens.
pub fn start(config: ServeConfig) -> Result<Running, String> {
    if config.test_mode && !config.address.ip().is_loopback() {
        return Err(format!(
            "test mode is offered on loopback only (spec/http.md HTTP-010); {} is not a loopback address",
            config.address.ip()
        ));
    }
    if let Some(name) = &config.failpoint {
        if !config.test_mode {
            return Err("failpoints are for the crash tests: test mode only".into());
        }
        failpoint::arm(name)?;
    }
    let (mut store, seed) = store_and_seed(&config)?;
    // the operating system's randomness until a `reset` empties the store: a
    // seeded stream restarted on kept records would repeat its draws
    let roles = Roles::from_seed(seed, config.mutation, false, &config.platform_roots).map_err(|e| e.to_string())?;
    // a test-mode server restarted on its data keeps the clock and the Status
    // address its controls set
    let (clock, status_address) = if config.test_mode {
        store
            .write(|tx| {
                let clock =
                    store::meta_get(tx, controls::TEST_CLOCK)?.map(|_| store::meta_u64(tx, controls::TEST_CLOCK));
                let address = store::meta_get(tx, controls::STATUS_ADDRESS)?;
                Ok((clock.transpose()?, address))
            })
            .map_err(|e| e.to_string())?
    } else {
        (None, None)
    };
    let clock = clock.map_or(Clock::System, Clock::Fixed);
    let status_address = status_address.map(|url| String::from_utf8_lossy(&url).into_owned());
    let mailer = mail::Mailer::open(&config.mail)?;
    let inner = Inner { store, roles, clock, status_address, seed: (seed, config.mutation) };
    let mut app = App::new(inner, config.test_mode, config.roles.clone());
    app.fault = config.fault;
    app.chaos = config.chaos;
    app.platform_roots = config.platform_roots.clone();
    let app = Arc::new(app);
    let worker_app = app.clone();
    let listener =
        std::net::TcpListener::bind(config.address).map_err(|e| format!("cannot listen on {}: {e}", config.address))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("jpki-serve {address}"))
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let service = edge::router(app);
                let _ = axum::serve(listener, service)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        })
        .map_err(|e| format!("cannot start the server thread: {e}"))?;
    let stop_worker = Arc::new(AtomicBool::new(false));
    let stop = stop_worker.clone();
    let senders = config.senders.clone();
    // on a shared store the worker takes entries under row locks, on a connection of its own
    let shared = match (&config.store, &mailer) {
        (Some(url), Some(_)) => Some(Store::connect(url).map_err(|e| e.to_string())?),
        _ => None,
    };
    let worker = std::thread::Builder::new()
        .name(format!("jpki-serve {address} delivery"))
        .spawn(move || delivery::run(worker_app, mailer, senders, stop, shared))
        .map_err(|e| format!("cannot start the delivery worker: {e}"))?;
    Ok(Running { address, shutdown: Some(shutdown), thread: Some(thread), stop_worker, worker: Some(worker) })
}
