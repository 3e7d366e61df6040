//! The suite's own Status, served over HTTP for a server under test: its
//! verifiers ask it and its Issuer feeds it (HTTP-011). Each query is
//! answered by the check's world (so the model sees and judges it), on the
//! check's thread, while that thread waits for the server's answer.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use jpki_reference::http::{CONTENT_TYPE, Endpoint, status_of};
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::verifier::StatusAnswer;
use jpki_reference::{Code, Error};

/// What reaches the check's thread while it waits for the server.
pub enum Event {
    /// The server's verifier asks Status: answer through `reply`.
    StatusQuery {
        /// The StatusRequest.
        request: Vec<u8>,
        /// Where the answer goes.
        reply: Sender<StatusAnswer>,
    },
    /// The server answered the call the thread is waiting for.
    Answered(Result<jpki_server::client::Received, String>),
}

#[derive(Clone)]
struct Shared {
    events: Arc<Mutex<Sender<Event>>>,
    feeds: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// The listening counterpart of one world.
pub struct Counterpart {
    /// Its base URL.
    pub url: String,
    /// Events for the check's thread.
    pub events: Receiver<Event>,
    sender: Sender<Event>,
    feeds: Arc<Mutex<Vec<Vec<u8>>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Counterpart {
    /// Starts listening on a free loopback port.
    pub fn start() -> Result<Counterpart, String> {
        let (sender, events) = channel();
        let feeds = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { events: Arc::new(Mutex::new(sender.clone())), feeds: feeds.clone() };
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let router = axum::Router::new().fallback(handle).with_state(shared);
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(Counterpart { url, events, sender, feeds, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// A sender for the call the check's thread is about to wait for.
    pub fn sender(&self) -> Sender<Event> {
        self.sender.clone()
    }

    /// The feed messages received since the last call, in order.
    pub fn take_feeds(&self) -> Vec<Vec<u8>> {
        self.feeds.lock().map(|mut f| std::mem::take(&mut *f)).unwrap_or_default()
    }
}

impl Drop for Counterpart {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn respond(status: u16, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(CONTENT_TYPE));
    response
}

fn refusal(error: &Error) -> Response {
    respond(status_of(error.code), ErrorMessage::from_error(error).to_bytes().unwrap_or_default())
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let body = match axum::body::to_bytes(request.into_body(), jpki_reference::http::MAX_BODY_BYTES).await {
        Ok(body) => body.to_vec(),
        Err(_) => return refusal(&Error::new(Code::TooLarge, "body over MAX_MESSAGE_BYTES")),
    };
    if path == Endpoint::StatusFeed.path("") {
        if let Ok(mut feeds) = shared.feeds.lock() {
            feeds.push(body);
        }
        return respond(200, Vec::new());
    }
    if path != Endpoint::StatusQuery.path("") {
        return refusal(&Error::new(Code::UnknownEndpoint, "the suite's Status serves query and feed only"));
    }
    let (reply, answer) = channel();
    let sent =
        shared.events.lock().is_ok_and(|events| events.send(Event::StatusQuery { request: body, reply }).is_ok());
    if !sent {
        return refusal(&Error::new(Code::StatusUndetermined, "no check is waiting"));
    }
    let answer = tokio::task::spawn_blocking(move || answer.recv_timeout(Duration::from_secs(60))).await;
    match answer {
        Ok(Ok(StatusAnswer::Response(bytes))) => respond(200, bytes),
        Ok(Ok(StatusAnswer::Refused(bytes))) => {
            let status = ErrorMessage::from_bytes(&bytes).map_or(422, |m| status_of(m.code));
            respond(status, bytes)
        }
        // the model's Status is out of reach: the server is told so (HTTP-011, USE-012)
        _ => refusal(&Error::new(Code::StatusUndetermined, "the suite's Status is unreachable in this check")),
    }
}
