//! One server: its store, its roles, its clock, and how each protocol step
//! runs: the edge's checks already passed, the step reads the records it
//! needs and writes what it changes in one transaction (HTTP-009), with
//! the stored answer of its idempotency key (HTTP-008).

use std::sync::{Mutex, MutexGuard};

use jpki_reference::constants::IDEMPOTENCY_RETENTION_SECS;
use jpki_reference::http::{Endpoint, ServerRole, UseOrder, UseOutcome, WipeCommands, WipePoll, status_of};
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::mutants::Mutation;
use jpki_reference::time::UnixTime;
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::{Code, Error, Result, issuer, status, verifier};

use crate::roles::Roles;
use crate::store::{self, HttpAnswer, IssuerTables, StatusTables, Store, VerifierTables};
use crate::{failpoint, outbound};

/// An answer: the HTTP status and the CBOR body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body (an `Error` message for a refusal).
    pub body: Vec<u8>,
}

impl Answer {
    /// The answer to a refusal: its `Error` message with the status §3 gives its code.
    pub fn refusal(error: &Error) -> Answer {
        let body = ErrorMessage::from_error(error).to_bytes().unwrap_or_default();
        Answer { status: status_of(error.code), body }
    }

    fn ok(body: Vec<u8>) -> Answer {
        Answer { status: 200, body }
    }
}

/// The server's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The machine's.
    System,
    /// Set by the `clock` control (test mode).
    Fixed(UnixTime),
}

impl Clock {
    /// The time now.
    pub fn now(self) -> UnixTime {
        match self {
            Clock::Fixed(t) => t,
            Clock::System => {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
            }
        }
    }
}

/// What changes under the server's lock.
pub struct Inner {
    /// The store.
    pub store: Store,
    /// The roles.
    pub roles: Roles,
    /// The clock.
    pub clock: Clock,
    /// The Status the Issuer feeds and the verifiers ask (HTTP-011); the
    /// server's own Status when `None`.
    pub status_address: Option<String>,
    /// The seed the roles came from and the mutant they run, if any.
    pub seed: ([u8; 32], Option<Mutation>),
}

impl Inner {
    /// Reads the test clock and the Status address the controls kept in
    /// the store (another instance's control may have set them).
    fn read_shared_settings(&mut self) -> Result<()> {
        use crate::controls::{STATUS_ADDRESS, TEST_CLOCK};
        let (clock, address) = self.store.read(|tx| {
            let clock = store::meta_get(tx, TEST_CLOCK)?.map(|_| store::meta_u64(tx, TEST_CLOCK)).transpose()?;
            Ok((clock, store::meta_get(tx, STATUS_ADDRESS)?))
        })?;
        if let Some(now) = clock {
            self.clock = Clock::Fixed(now);
        }
        self.status_address = address.map(|url| String::from_utf8_lossy(&url).into_owned());
        Ok(())
    }
}

/// A server.
pub struct App {
    inner: Mutex<Inner>,
    /// Held while feed messages go out, so that they leave in order.
    feed_lock: Mutex<()>,
    /// Whether other instances may share the store (PostgreSQL): in test
    /// mode the clock and the Status address the controls set are then
    /// read from the store at each step, so that every instance keeps one
    /// clock.
    shared: bool,
    /// The rp ids of the verifiers hosted, readable without the lock.
    verifier_ids: std::sync::RwLock<Vec<String>>,
    /// Whether the test controls are offered (HTTP-010).
    pub test_mode: bool,
    /// The roles this server hosts.
    pub hosted: Vec<ServerRole>,
    /// A planted bug of the edge (`None` but in the binding checks' test).
    pub fault: Option<crate::faults::EdgeFault>,
    /// `serve --chaos`: the share of issuance requests chaos takes a turn with.
    pub chaos: Option<u8>,
    /// Platform attestation roots (DER) the Issuer trusts beside the test PKI's.
    pub platform_roots: Vec<Vec<u8>>,
}

/// One request that passed the edge's checks.
pub struct Request<'a> {
    /// The step.
    pub endpoint: Endpoint,
    /// The verifier's rp id (empty for the other roles).
    pub rp: &'a str,
    /// The path, the scope of its idempotency key.
    pub path: &'a str,
    /// The idempotency key (HTTP-008).
    pub key: [u8; 16],
    /// The body.
    pub body: &'a [u8],
    /// The planted fault `NoReplay` (always `false` but in its test).
    pub no_replay: bool,
    /// Chaos: a valid request is judged, rolled back and refused with
    /// `retry_later` (ISS-016).
    pub refuse_valid: bool,
}

impl App {
    /// A server on `store` playing `roles`.
    pub fn new(inner: Inner, test_mode: bool, hosted: Vec<ServerRole>) -> App {
        let shared = inner.store.backend() == crate::store::Backend::Postgres;
        let verifier_ids = std::sync::RwLock::new(inner.roles.verifiers.keys().cloned().collect());
        App {
            inner: Mutex::new(inner),
            feed_lock: Mutex::new(()),
            shared,
            verifier_ids,
            test_mode,
            hosted,
            fault: None,
            chaos: None,
            platform_roots: Vec::new(),
        }
    }

    /// The server's state, locked. A step that panicked (a bug, answered
    /// `server_fault`) left its transaction rolled back, so the records are
    /// whole and the server goes on (HTTP-007).
    pub fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        Ok(self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The server's state, locked, at the start of a step: on a store other
    /// instances share, in test mode, with the clock and the Status address
    /// the controls of any instance last set.
    pub fn lock_step(&self) -> Result<MutexGuard<'_, Inner>> {
        let mut inner = self.lock()?;
        if self.shared && self.test_mode {
            inner.read_shared_settings()?;
        }
        Ok(inner)
    }

    /// Runs `work` in one write transaction of the store, under the lock
    /// (the delivery worker's reads and marks).
    pub fn with_store<T>(&self, work: impl FnMut(&crate::store::Tx<'_>) -> Result<T>) -> Result<T> {
        self.lock()?.store.write(work)
    }

    /// The server's time now.
    pub fn now(&self) -> UnixTime {
        self.lock_step().map_or(0, |inner| inner.clock.now())
    }

    /// Whether this server hosts verifier `rp` (read without the step lock:
    /// the edge asks on an async worker).
    pub fn hosts_verifier(&self, rp: &str) -> bool {
        let ids = self.verifier_ids.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.hosted.contains(&ServerRole::Verifier) && ids.iter().any(|id| id == rp)
    }

    /// Sets the hosted verifiers' rp ids (after the roles changed).
    pub fn set_verifier_ids(&self, ids: Vec<String>) {
        *self.verifier_ids.write().unwrap_or_else(std::sync::PoisonError::into_inner) = ids;
    }

    /// Runs one protocol step; a refusal is recorded in its own transaction.
    pub fn step(&self, request: &Request<'_>) -> Answer {
        use crate::faults::EdgeFault;
        let answer = match self.run(request) {
            Ok(answer) => answer,
            Err(error) => {
                self.record_refusal(request, &error);
                let mut answer = Answer::refusal(&error);
                match self.fault {
                    Some(EdgeFault::FaultOnUndecodable) if error.code == Code::Malformed => {
                        answer = Answer::refusal(&Error::new(Code::ServerFault, "planted"));
                    }
                    Some(EdgeFault::EncodingAs422) if answer.status == 400 => answer.status = 422,
                    _ => {}
                }
                answer
            }
        };
        if matches!(request.endpoint.role(), ServerRole::Issuer) {
            self.send_feed();
        }
        answer
    }

    /// One chunk of Status's status list, signed now (STL-004). A read: it
    /// changes nothing, logs nothing and notifies no one (STL-007).
    pub fn status_list(&self, chunk: u64) -> Answer {
        let signed = self.lock_step().and_then(|mut inner| {
            let Inner { store, roles, clock, .. } = &mut *inner;
            let now = clock.now();
            store.read(|tx| status::publish_chunk(roles.provider, &roles.status, &StatusTables::new(tx), chunk, now))
        });
        match signed {
            Ok(token) => Answer::ok(token),
            Err(error) => Answer::refusal(&error),
        }
    }

    fn run(&self, request: &Request<'_>) -> Result<Answer> {
        let digest = self.lock()?.roles.provider.sha256(request.body);
        if matches!(request.endpoint, Endpoint::UseVerify | Endpoint::MdocVerify) {
            return self.verify(request, &digest);
        }
        // the stored answer, the step and the new stored answer in one
        // transaction under the lock: a retry racing its first attempt
        // sees either nothing or the whole first answer (HTTP-008)
        let mut inner = self.lock_step()?;
        let Inner { store, roles, clock, .. } = &mut *inner;
        let now = clock.now();
        let answer = store.write(|tx| {
            if let Some(stored) = replay(tx, request, &digest, now)? {
                return Ok(stored);
            }
            let body = step_in(tx, roles, request, now)?;
            if request.refuse_valid {
                return Err(Error::new(Code::RetryLater, "chaos: a valid request, not judged now; send it again"));
            }
            let answer = Answer::ok(body);
            remember(tx, request, &digest, &answer, now)?;
            failpoint::at_commit(request.endpoint, true);
            Ok(answer)
        })?;
        failpoint::at_commit(request.endpoint, false);
        Ok(answer)
    }

    /// A verifier's check of an assertion or a qualification presentation:
    /// local checks, then Status (out of the lock: it may be this very
    /// server), then the commit.
    fn verify(&self, request: &Request<'_>, digest: &[u8; 32]) -> Result<Answer> {
        let (config, provider, now, address, checked) = {
            let mut inner = self.lock_step()?;
            let Inner { store, roles, clock, status_address, .. } = &mut *inner;
            let now = clock.now();
            if let Some(stored) = store.write(|tx| replay(tx, request, digest, now))? {
                return Ok(stored);
            }
            let config = roles
                .verifiers
                .get(request.rp)
                .cloned()
                .ok_or(Error::new(Code::UnknownEndpoint, "no such verifier"))?;
            let provider = roles.provider;
            let checked = store.write(|tx| {
                let tables = VerifierTables::new(tx, request.rp);
                Ok(match request.endpoint {
                    Endpoint::MdocVerify => verifier::check_mdoc(provider, &config, &tables, request.body, now)
                        .and_then(|(pending, reading, query)| Ok((pending, query, Some(reading.to_bytes()?)))),
                    _ => verifier::check_assertion(provider, &config, &tables, request.body, now)
                        .map(|(pending, query)| (pending, query, None)),
                })
            })?;
            let address =
                status_address.clone().filter(|_| self.fault != Some(crate::faults::EdgeFault::IgnoreStatusAddress));
            (config, provider, now, address, checked)
        };
        let premature = checked.is_err() && request.endpoint == Endpoint::UseVerify;
        if premature && Mutation::QueryStatusFirst.disables(config.mutation) {
            if let Some(query) = verifier::premature_query(provider, &config, request.body) {
                self.ask_status(address.as_deref(), query);
            }
        }
        let (pending, query, reading) = checked?;
        let answer = self.ask_status(address.as_deref(), query);
        let mut inner = self.lock()?;
        let answer = inner.store.write(|tx| {
            // a retry that raced this attempt through Status: the first answer stands (HTTP-008)
            if let Some(stored) = replay(tx, request, digest, now)? {
                return Ok(stored);
            }
            let tables = VerifierTables::new(tx, request.rp);
            let (writes, body) = match &reading {
                Some(reading) => {
                    (verifier::complete_mdoc(provider, &config, &tables, &pending, &answer, now)?, reading.clone())
                }
                None => (
                    verifier::complete(provider, &config, &tables, &pending, &answer, now)?,
                    UseOutcome { serial: pending.serial.clone(), counter: pending.counter }.to_bytes()?,
                ),
            };
            tables.apply(&writes)?;
            let answer = Answer::ok(body);
            remember(tx, request, digest, &answer, now)?;
            failpoint::at_commit(request.endpoint, true);
            Ok(answer)
        })?;
        failpoint::at_commit(request.endpoint, false);
        Ok(answer)
    }

    /// Asks Status: the one at `address`, or this server's own.
    fn ask_status(&self, address: Option<&str>, query: Vec<u8>) -> StatusAnswer {
        match address {
            Some(address) => outbound::status_query(address, &query),
            None => {
                let answer = self.own_status(&query);
                match answer.status {
                    200 => StatusAnswer::Response(answer.body),
                    500.. => StatusAnswer::Unreachable,
                    _ => StatusAnswer::Refused(answer.body),
                }
            }
        }
    }

    fn own_status(&self, query: &[u8]) -> Answer {
        if !self.hosted.contains(&ServerRole::Status) {
            return Answer::refusal(&Error::new(Code::StatusUndetermined, "no Status address and no Status here"));
        }
        let run = || -> Result<Vec<u8>> {
            let mut inner = self.lock_step()?;
            let Inner { store, roles, clock, .. } = &mut *inner;
            let now = clock.now();
            let response = store.write(|tx| {
                let tables = StatusTables::new(tx);
                let (writes, response) = status::answer(roles.provider, &roles.status, &tables, query, now)?;
                tables.apply(&writes)?;
                failpoint::at_commit(Endpoint::StatusQuery, true);
                Ok(response)
            })?;
            failpoint::at_commit(Endpoint::StatusQuery, false);
            Ok(response)
        };
        run().map_or_else(|e| Answer::refusal(&e), Answer::ok)
    }

    /// Sends the feed messages waiting in the outbox to Status, oldest
    /// first, before the step that made them is answered (HTTP-011). A
    /// Status that cannot be reached leaves them for the next step.
    pub fn send_feed(&self) {
        let _order = self.feed_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Ok(address) = self.lock_step().map(|inner| inner.status_address.clone()) else { return };
        let address = address.filter(|_| self.fault != Some(crate::faults::EdgeFault::IgnoreStatusAddress));
        // a look that writes nothing first: an idle worker takes no place in
        // the writing steps' queue (on a shared store)
        let waiting = self.lock().and_then(|mut inner| inner.store.read(|tx| Ok(!store::pending_feed(tx)?.is_empty())));
        if !matches!(waiting, Ok(true)) {
            return;
        }
        let Some(address) = address else {
            if self.hosted.contains(&ServerRole::Status) {
                while let Ok(true) = self.own_feed() {}
            }
            return;
        };
        // the salt is the store's, so that instances sharing it send one
        // message under one idempotency key, and Status takes it once
        let Ok((salt, pending)) = self.with_store(|tx| Ok((store::feed_salt(tx)?, store::pending_feed(tx)?))) else {
            return;
        };
        for (seq, message) in pending {
            if !outbound::feed(&address, &salt, seq, &message) {
                return;
            }
            let _ = self.with_store(|tx| store::feed_taken(tx, seq));
        }
    }

    /// This server's own Status takes the oldest waiting feed message: the
    /// message leaves the outbox in the transaction that applies it, so
    /// that of instances sharing the store one takes it, once. `false`
    /// when none waits.
    fn own_feed(&self) -> Result<bool> {
        let mut inner = self.lock_step()?;
        let Inner { store, roles, clock, .. } = &mut *inner;
        let now = clock.now();
        let taken = store.write(|tx| {
            let Some((seq, message)) = store::pending_feed(tx)?.into_iter().next() else { return Ok(false) };
            if !store::feed_taken(tx, seq)? {
                return Ok(false);
            }
            let tables = StatusTables::new(tx);
            match status::apply_feed(roles.provider, &roles.status, &tables, &message, now) {
                Ok(writes) => tables.apply(&writes)?,
                // the store's own fault (a conflict among them) is not a judgement: the message stays
                Err(error) if tx.conflicted() || error.code == Code::ServerFault => return Err(error),
                // a feed this Status refuses is judged, so taken
                Err(_) => {}
            }
            failpoint::at_commit(Endpoint::StatusFeed, true);
            Ok(true)
        })?;
        if taken {
            failpoint::at_commit(Endpoint::StatusFeed, false);
        }
        Ok(taken)
    }

    /// Records a refusal in its own transaction, after the step's was rolled back.
    fn record_refusal(&self, request: &Request<'_>, error: &Error) {
        if let Ok(mut inner) = self.lock_step() {
            let Inner { store, roles, clock, .. } = &mut *inner;
            let (now, digest) = (clock.now(), roles.provider.sha256(request.body));
            let _ = store.write(|tx| store::record_refusal(tx, now, request.path, error, &digest));
        }
    }
}

/// The answer stored for this request's key: itself for the same body, a
/// conflict for another (HTTP-008).
fn replay(
    tx: &crate::store::Tx<'_>,
    request: &Request<'_>,
    digest: &[u8; 32],
    now: UnixTime,
) -> Result<Option<Answer>> {
    if request.no_replay {
        return Ok(None);
    }
    let kept_from = now.saturating_sub(IDEMPOTENCY_RETENTION_SECS);
    match store::http_answer(tx, request.path, &request.key, kept_from)? {
        Some(stored) if stored.digest == digest => Ok(Some(Answer { status: stored.status, body: stored.body })),
        Some(_) => Err(Error::new(Code::IdempotencyConflict, "Idempotency-Key reused with another body")),
        None => Ok(None),
    }
}

fn remember(
    tx: &crate::store::Tx<'_>,
    request: &Request<'_>,
    digest: &[u8; 32],
    answer: &Answer,
    now: UnixTime,
) -> Result<()> {
    let stored = HttpAnswer { digest: digest.to_vec(), status: answer.status, body: answer.body.clone() };
    let kept_from = now.saturating_sub(IDEMPOTENCY_RETENTION_SECS);
    store::remember_http_answer(tx, request.path, &request.key, &stored, now, kept_from)?;
    // the step's writes and its audit row commit together
    let entry =
        store::audit::Entry { time: now, path: request.path, outcome: "ok", requirement: "", body_digest: digest };
    store::audit::append(tx, &entry)
}

/// One step of the Issuer, Status or a verifier (all but `verify`), in `tx`.
fn step_in(tx: &crate::store::Tx<'_>, roles: &mut Roles, request: &Request<'_>, now: UnixTime) -> Result<Vec<u8>> {
    let provider = roles.provider;
    let body = request.body;
    let issuer_step = |tx: &crate::store::Tx<'_>, writes: issuer::IssuerWrites, output: issuer::IssuerOutput| {
        IssuerTables::new(tx).apply(&writes)?;
        store::queue_feed(tx, &output.status_feed)?;
        Ok(output.response)
    };
    match request.endpoint {
        Endpoint::Challenge => {
            if !body.is_empty() {
                return Err(Error::new(Code::Malformed, "the challenge step takes an empty body"));
            }
            let tables = IssuerTables::new(tx);
            let (writes, answer) = issuer::challenge(&roles.issuer, &tables, &mut roles.issuer_entropy, now)?;
            tables.apply(&writes)?;
            Ok(answer)
        }
        Endpoint::Issue => {
            let tables = IssuerTables::new(tx);
            let (writes, output) =
                issuer::issue(provider, &roles.issuer, &tables, body, &mut roles.issuer_entropy, now)?;
            issuer_step(tx, writes, output)
        }
        Endpoint::Migrate => {
            let tables = IssuerTables::new(tx);
            let (writes, output) = issuer::migrate_with_old_device(
                provider,
                &roles.issuer,
                &tables,
                body,
                &mut roles.issuer_entropy,
                now,
            )?;
            issuer_step(tx, writes, output)
        }
        Endpoint::HolderAction => {
            let tables = IssuerTables::new(tx);
            let (writes, output) =
                issuer::holder_action(provider, &roles.issuer, &tables, body, &mut roles.issuer_entropy, now)?;
            issuer_step(tx, writes, output)
        }
        Endpoint::DeviceRevocation => {
            let tables = IssuerTables::new(tx);
            let (writes, output) = issuer::device_revocation(provider, &roles.issuer, &tables, body, now)?;
            issuer_step(tx, writes, output)
        }
        Endpoint::Wipes => {
            let poll = WipePoll::from_bytes(body)?;
            let tables = IssuerTables::new(tx);
            let (writes, commands) = issuer::deliver_wipes(&tables, &poll.device)?;
            tables.apply(&writes)?;
            WipeCommands { commands }.to_bytes()
        }
        Endpoint::WipeReceipt => {
            let tables = IssuerTables::new(tx);
            let writes = issuer::acknowledge_wipe(provider, &roles.issuer, &tables, body, now)?;
            tables.apply(&writes)?;
            Ok(Vec::new())
        }
        Endpoint::StatusQuery => {
            let tables = StatusTables::new(tx);
            let (writes, response) = status::answer(provider, &roles.status, &tables, body, now)?;
            tables.apply(&writes)?;
            Ok(response)
        }
        Endpoint::StatusFeed => {
            let tables = StatusTables::new(tx);
            let writes = status::apply_feed(provider, &roles.status, &tables, body, now)?;
            tables.apply(&writes)?;
            Ok(Vec::new())
        }
        Endpoint::UseRequest | Endpoint::MdocRequest => {
            let config =
                roles.verifiers.get(request.rp).ok_or(Error::new(Code::UnknownEndpoint, "no such verifier"))?;
            let entropy = roles
                .verifier_entropy
                .get_mut(request.rp)
                .ok_or(Error::new(Code::UnknownEndpoint, "no such verifier"))?;
            let tables = VerifierTables::new(tx, request.rp);
            let (writes, answer) = if request.endpoint == Endpoint::MdocRequest {
                let elements = jpki_reference::mdoc::session::items_wanted_from_bytes(body)?;
                verifier::mdoc_request(config, &tables, &elements, entropy, now)?
            } else {
                let order = UseOrder::from_bytes(body)?;
                verifier::request(config, &tables, order.kind, &order.purpose, order.document_digest, entropy, now)?
            };
            tables.apply(&writes)?;
            Ok(answer)
        }
        Endpoint::UseVerify | Endpoint::MdocVerify => Err(Error::new(Code::ServerFault, "verify runs in App::verify")),
    }
}
