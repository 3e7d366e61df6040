//! The reference Issuer, Status and verifiers as HTTP servers
//! (spec/http.md), on an embedded SQLite store.
//!
//! The protocol logic is the reference's, unchanged and sans-IO: each step
//! reads the records it needs through the core's record traits and returns
//! its writes, which the store applies in the step's transaction. This
//! crate is the edge: HTTP, SQLite, the clock, randomness and the calls to
//! other servers.

pub mod app;
pub mod client;
pub mod controls;
pub mod edge;
pub mod faults;
mod outbound;
pub mod roles;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// The data folder (created if absent); `None` keeps the store in memory.
    pub data: Option<PathBuf>,
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
}

impl ServeConfig {
    /// A test-mode server of every role on a free loopback port, in memory.
    pub fn for_tests() -> ServeConfig {
        ServeConfig {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: None,
            test_mode: true,
            roles: vec![ServerRole::Issuer, ServerRole::Status, ServerRole::Verifier],
            seed: None,
            mutation: None,
            fault: None,
        }
    }
}

/// A running server.
pub struct Running {
    /// Where it listens.
    pub address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.halt();
    }
}

fn store_and_seed(config: &ServeConfig) -> Result<(Store, [u8; 32]), String> {
    let mut store = match &config.data {
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
    let (store, seed) = store_and_seed(&config)?;
    // the operating system's randomness until a `reset` empties the store: a
    // seeded stream restarted on kept records would repeat its draws
    let roles = Roles::from_seed(seed, config.mutation, false).map_err(|e| e.to_string())?;
    let inner = Inner { store, roles, clock: Clock::System, status_address: None, seed: (seed, config.mutation) };
    let mut app = App::new(inner, config.test_mode, config.roles.clone());
    app.fault = config.fault;
    let app = Arc::new(app);
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
    Ok(Running { address, shutdown: Some(shutdown), thread: Some(thread) })
}
