//! The client side of the binding: one POST with a CBOR body and an
//! idempotency key, answered with a status and a body. The server's own
//! calls (feeds to Status, a verifier's status queries) and the suite's
//! HTTP bindings both send through it.

use std::time::Duration;

use jpki_reference::http::{CONTENT_TYPE, IDEMPOTENCY_HEADER, MAX_BODY_BYTES, format_idempotency_key};

/// How long a client waits for a whole answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// A client: keeps connections open between requests.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

/// An answer as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Client {
    /// A client that reads 4xx and 5xx answers as answers, not errors.
    pub fn new() -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(ANSWER_TIMEOUT))
            .max_idle_connections_per_host(4)
            .build();
        Client { agent: ureq::Agent::new_with_config(config) }
    }

    /// POSTs `body` to `url` with the binding's content type and, when
    /// given, an `Idempotency-Key`; `Err` when no answer came (the server
    /// is unreachable, or broke the connection). The answer's body is read
    /// up to one byte past `MAX_MESSAGE_BYTES`: a longer one is cut there,
    /// and whoever decodes it refuses it as `too_large` (ENC-009).
    pub fn post(&self, url: &str, body: &[u8], key: Option<&[u8; 16]>) -> Result<Received, String> {
        self.post_reading(url, body, key, MAX_BODY_BYTES as u64 + 1)
    }

    /// GETs `url` (a status-list chunk, HTTP-013); the answer read as by [`post`](Self::post).
    pub fn get(&self, url: &str) -> Result<Received, String> {
        let started = std::time::Instant::now();
        let mut response = match self.agent.get(url).call() {
            Ok(response) => response,
            Err(_) => self.agent.get(url).call().map_err(|e| format!("GET {url}: {e}"))?,
        };
        answer_read("GET", url, started, &mut response, MAX_BODY_BYTES as u64 + 1)
    }

    /// As [`post`](Self::post), reading up to `limit` bytes of the answer
    /// (the test controls' observations are larger than any message).
    pub fn post_reading(&self, url: &str, body: &[u8], key: Option<&[u8; 16]>, limit: u64) -> Result<Received, String> {
        let send = || {
            let mut request = self.agent.post(url).header("content-type", CONTENT_TYPE);
            if let Some(key) = key {
                request = request.header(IDEMPOTENCY_HEADER, format_idempotency_key(key));
            }
            request.send(body)
        };
        // A server may close a kept-alive connection (after answering a request
        // whose body it did not read, HTTP-004); a request sent on it as it
        // closes gets no answer. It goes once more, on a fresh connection:
        // every step carries its idempotency key (HTTP-008), and the test
        // controls set state rather than add to it.
        let started = std::time::Instant::now();
        let mut response = match send() {
            Ok(response) => response,
            Err(_) => send().map_err(|e| format!("POST {url}: {e}"))?,
        };
        answer_read("POST", url, started, &mut response, limit)
    }
}

/// An answer's status, content type and body (up to `limit` bytes), timed
/// from `started` for the thread's recorder.
fn answer_read(
    method: &str,
    url: &str,
    started: std::time::Instant,
    response: &mut ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<Received, String> {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut body = Vec::new();
    let reader = response.body_mut().with_config().limit(u64::MAX).reader();
    std::io::Read::read_to_end(&mut std::io::Read::take(reader, limit), &mut body)
        .map_err(|e| format!("{method} {url}: reading the answer: {e}"))?;
    timings::record(url, started.elapsed(), status, &body);
    Ok(Received { status, content_type, body })
}

/// A fresh idempotency key from the operating system.
pub fn fresh_key() -> [u8; 16] {
    let mut key = [0u8; 16];
    // without randomness the key is still unique enough per process for a retry scope
    if getrandom::fill(&mut key).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        key.copy_from_slice(&nanos.to_be_bytes());
    }
    key
}

/// Every request's time, path and outcome, kept for the threads a load
/// run attached to its [`timings::Recorder`] (`jpki-conformance load`);
/// nothing is kept for any other thread.
pub mod timings {
    use std::cell::RefCell;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    thread_local! {
        static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
    }

    /// One request as the client saw it.
    #[derive(Clone, Debug)]
    pub struct Timing {
        /// The path (the URL without its scheme and host).
        pub path: String,
        /// From sending to the whole answer read.
        pub took: Duration,
        /// The HTTP status.
        pub status: u16,
        /// The answer's body when it was not 200 (a refusal: its code).
        pub refusal: Option<Vec<u8>>,
    }

    /// Where the requests of the threads attached to it are kept.
    #[derive(Clone, Debug, Default)]
    pub struct Recorder(Arc<Mutex<Vec<Timing>>>);

    impl Recorder {
        /// An empty recorder.
        pub fn new() -> Recorder {
            Recorder::default()
        }

        /// Keeps this thread's requests from now on.
        pub fn attach(&self) {
            RECORDER.with(|r| *r.borrow_mut() = Some(self.clone()));
        }

        /// The recorder this thread is attached to, if any (to attach a
        /// thread it starts to send a request for it).
        pub fn current() -> Option<Recorder> {
            RECORDER.with(|r| r.borrow().clone())
        }

        /// What every attached thread sent so far (the recorder is emptied).
        pub fn take(&self) -> Vec<Timing> {
            std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
        }
    }

    pub(super) fn record(url: &str, took: Duration, status: u16, body: &[u8]) {
        RECORDER.with(|recorder| {
            let Some(recorder) = &*recorder.borrow() else { return };
            let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
            let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]).to_owned();
            let refusal = (status != 200).then(|| body.to_vec());
            let timing = Timing { path, took, status, refusal };
            recorder.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(timing);
        });
    }
}
