//! The suite's side of the process shim: starts the vendor's adapter,
//! exchanges frames with it, answers its call-backs, and turns a crash, a
//! hang or malformed output into a clear error, never a hung suite.

use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ciborium::Value;
use jpki_reference::{Code, Error};

use super::frame::{self, get, map, read_frame, write_frame};

/// The shim protocol version this suite speaks.
pub const PROTOCOL_VERSION: u64 = 3;
/// How long one request may take by default (`JPKI_SHIM_TIMEOUT_MS` overrides).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a shim call did not give an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShimError {
    /// The SUT refused, with a registry code.
    Refused(Error),
    /// The SUT does not implement the method.
    Unimplemented(String),
    /// The adapter crashed, hung, or wrote something that is not the protocol.
    Broken(String),
}

/// A running adapter process.
pub struct ShimClient {
    child: Child,
    stdin: Option<ChildStdin>,
    frames: Receiver<Result<Option<Value>, String>>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
    timeout: Duration,
    broken: Option<String>,
    /// The roles the adapter serves.
    pub roles: Vec<String>,
    /// The adapter's identity line.
    pub identity: String,
}

fn timeout() -> Duration {
    std::env::var("JPKI_SHIM_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis)
}

impl ShimClient {
    /// Starts `command` (run by `sh -c`) and says hello with the world's seed
    /// and, for the template shim's mutants, a mutation name.
    pub fn start(command: &str, seed: &[u8; 32], mutation: Option<&str>) -> Result<ShimClient, ShimError> {
        // its own process group, so that ending the adapter ends whatever `sh -c` started too
        let mut child = Command::new("sh")
            .process_group(0)
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ShimError::Broken(format!("cannot start the shim {command:?}: {e}")))?;
        let (sender, frames) = channel();
        let stdout = child.stdout.take().ok_or(ShimError::Broken("no stdout".into()))?;
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let frame = read_frame(&mut reader);
                let stop = !matches!(frame, Ok(Some(_)));
                if sender.send(frame).is_err() || stop {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&text);
                }
            });
        }
        let stdin = child.stdin.take();
        let mut client = ShimClient {
            child,
            stdin,
            frames,
            stderr,
            next_id: 1,
            timeout: timeout(),
            broken: None,
            roles: Vec::new(),
            identity: String::new(),
        };
        let mut params = vec![("version", frame::int(PROTOCOL_VERSION)), ("seed", Value::Bytes(seed.to_vec()))];
        if let Some(m) = mutation {
            params.push(("mutation", Value::Text(m.to_owned())));
        }
        let hello = match client.call("hello", map(params), &mut |_, _| Value::Null) {
            Err(ShimError::Refused(e)) => {
                return Err(client.fail(format!(
                    "the adapter refused `hello` for shim protocol v{PROTOCOL_VERSION}: {e} \
                     (SHIM.md, \"Versions\")"
                )));
            }
            other => other?,
        };
        // an adapter states the version it speaks; v1 adapters stated none
        let spoken = match get(&hello, "version") {
            None => "v1 (its hello states no version)".to_owned(),
            Some(_) => match frame::uint(&hello, "version") {
                Ok(PROTOCOL_VERSION) => String::new(),
                Ok(n) => format!("v{n}"),
                Err(_) => "no version the suite can read (`version` is not an unsigned integer)".to_owned(),
            },
        };
        if !spoken.is_empty() {
            return Err(client.fail(format!(
                "the adapter speaks shim protocol {spoken}; this suite speaks v{PROTOCOL_VERSION} \
                 (SHIM.md, \"Versions\": update the adapter or run a suite of its version)"
            )));
        }
        client.identity = frame::text(&hello, "identity").unwrap_or_default();
        client.roles = match get(&hello, "roles") {
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_text().map(str::to_owned)).collect(),
            _ => return Err(client.fail("hello answer without roles".into())),
        };
        Ok(client)
    }

    /// Ends the adapter and every process it started (its process group).
    fn end(&mut self) {
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn fail(&mut self, detail: String) -> ShimError {
        self.end();
        let stderr = self.stderr.lock().map(|s| s.trim().to_owned()).unwrap_or_default();
        let detail = if stderr.is_empty() { detail } else { format!("{detail}; shim stderr: {stderr}") };
        self.broken = Some(detail.clone());
        ShimError::Broken(detail)
    }

    fn send(&mut self, message: &Value) -> Result<(), ShimError> {
        let written = match self.stdin.as_mut() {
            Some(stdin) => write_frame(stdin, message).map_err(|e| e.to_string()),
            None => Err("stdin closed".into()),
        };
        written.map_err(|e| self.fail(format!("cannot write to the shim: {e}")))
    }

    /// Calls `method`; call-backs the shim makes meanwhile are answered by
    /// `on_callback(name, params)`.
    pub fn call(
        &mut self,
        method: &str,
        params: Value,
        on_callback: &mut dyn FnMut(&str, &Value) -> Value,
    ) -> Result<Value, ShimError> {
        let id = self.send_request(method, params)?;
        loop {
            match self.receive(id, method)? {
                Received::Answer(answer) => return answer,
                Received::Callback { id: cid, name, params } => {
                    let answer = on_callback(&name, &params);
                    self.answer_callback(cid, answer)?;
                }
            }
        }
    }

    /// Sends a request and returns its id. With [`receive`](Self::receive)
    /// and [`answer_callback`](Self::answer_callback), lets a caller hold
    /// the client only briefly, so a call-back can make calls of its own.
    pub fn send_request(&mut self, method: &str, params: Value) -> Result<u64, ShimError> {
        if let Some(detail) = &self.broken {
            return Err(ShimError::Broken(detail.clone()));
        }
        let id = self.next_id;
        self.next_id += 1;
        self.send(&map(vec![("id", frame::int(id)), ("method", Value::Text(method.into())), ("params", params)]))?;
        Ok(id)
    }

    /// Answers a call-back.
    pub fn answer_callback(&mut self, id: u64, answer: Value) -> Result<(), ShimError> {
        self.send(&map(vec![("id", frame::int(id)), ("ok", answer)]))
    }

    /// The next frame while waiting for the answer to request `id`.
    pub fn receive(&mut self, id: u64, method: &str) -> Result<Received, ShimError> {
        if let Some(detail) = &self.broken {
            return Err(ShimError::Broken(detail.clone()));
        }
        let message = match self.frames.recv_timeout(self.timeout) {
            Ok(Ok(Some(message))) => message,
            Ok(Ok(None)) | Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(self.fail(format!("the shim exited ({status}) before answering {method}")));
            }
            Ok(Err(garbage)) => {
                return Err(self.fail(format!("malformed shim output while waiting for {method}: {garbage}")));
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(self.fail(format!("no answer to {method} within {:?}: the shim hangs", self.timeout)));
            }
        };
        if let Some(Value::Text(name)) = get(&message, "callback") {
            let cid = frame::uint(&message, "id").map_err(|e| self.fail(format!("call-back without id: {e}")))?;
            let params = get(&message, "params").cloned().unwrap_or(Value::Null);
            return Ok(Received::Callback { id: cid, name: name.clone(), params });
        }
        if frame::uint(&message, "id") != Ok(id) {
            return Err(self.fail(format!("answer to {method} carries another id")));
        }
        if let Some(ok) = get(&message, "ok") {
            return Ok(Received::Answer(Ok(ok.clone())));
        }
        if let Some(error) = get(&message, "error") {
            let code = frame::text(error, "code").unwrap_or_default();
            let detail = frame::text(error, "detail").unwrap_or_default();
            return match Code::from_wire(&code) {
                Some(code) => Ok(Received::Answer(Err(ShimError::Refused(Error::with_detail(code, detail))))),
                None => Err(self.fail(format!("{method} refused with {code:?}, which is not a registry code"))),
            };
        }
        if get(&message, "unimplemented").is_some() {
            return Ok(Received::Answer(Err(ShimError::Unimplemented(method.to_owned()))));
        }
        Err(self.fail(format!("answer to {method} has neither ok, error nor unimplemented")))
    }
}

/// One frame received while a request is open.
pub enum Received {
    /// The answer to the request.
    Answer(Result<Value, ShimError>),
    /// A call-back the shim makes before answering.
    Callback {
        /// The call-back's id.
        id: u64,
        /// Its name (`status.answer`).
        name: String,
        /// Its parameters.
        params: Value,
    },
}

impl Drop for ShimClient {
    fn drop(&mut self) {
        self.stdin.take();
        self.end();
    }
}
