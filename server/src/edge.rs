//! The HTTP edge: the envelope's checks in the order spec/http.md gives
//! them (path, method, content type, idempotency key, size, time), then
//! the step on a blocking thread. Nothing here judges a message.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use jpki_reference::http::{
    CONTENT_TYPE, IDEMPOTENCY_HEADER, MAX_BODY_BYTES, MAX_CONTROL_BYTES, Route, UPLOAD_TIMEOUT_SECS,
    parse_idempotency_key, route,
};
use jpki_reference::{Code, Error};

use crate::app::{Answer, App, Request as StepRequest};
use crate::chaos::{self, Turn};
use crate::faults::EdgeFault;

/// The router: every path goes through [`handle`].
pub fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}

fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(CONTENT_TYPE));
    response
}

fn refuse(code: Code, detail: &'static str) -> Response {
    respond(Answer::refusal(&Error::new(code, detail)))
}

/// The body, read whole within the time and size bounds (HTTP-004, HTTP-005).
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Vec<u8>, Response> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(refuse(Code::TooLarge, "Content-Length over MAX_MESSAGE_BYTES"));
    }
    let read = async {
        let mut body = body;
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            // a broken upload: the step never runs (HTTP-005)
            let frame = frame.map_err(|_| refuse(Code::Malformed, "the body was cut short"))?;
            if let Ok(data) = frame.into_data() {
                if out.len() + data.len() > max {
                    return Err(refuse(Code::TooLarge, "body over MAX_MESSAGE_BYTES"));
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(out)
    };
    match tokio::time::timeout(Duration::from_secs(UPLOAD_TIMEOUT_SECS), read).await {
        Ok(result) => result,
        Err(_) => Err(refuse(Code::UploadTimeout, "the body did not arrive in time")),
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    // HTTP-002: the path first (a query string is not part of the binding)
    let fault = app.fault;
    let Some(found) = route(&path).filter(|_| parts.uri.query().is_none()) else {
        if fault == Some(EdgeFault::UnknownPathAsMalformed) {
            return refuse(Code::Malformed, "planted");
        }
        return refuse(Code::UnknownEndpoint, "no such endpoint");
    };
    let hosted = match &found {
        Route::Control(_) => app.test_mode,
        Route::List(_) => app.hosted.contains(&jpki_reference::http::ServerRole::Status),
        Route::Step { endpoint, rp } => {
            let role = endpoint.role();
            app.hosted.contains(&role) && (rp.is_empty() || app.hosts_verifier(rp))
        }
    };
    if !hosted {
        return refuse(Code::UnknownEndpoint, "no such endpoint here");
    }
    // HTTP-013: a status list is read with GET, and nothing else is; it has no body
    let list = matches!(found, Route::List(_));
    if list && parts.method != Method::GET {
        return refuse(Code::MethodNotAllowed, "only GET");
    }
    // HTTP-001, HTTP-003
    if !list && parts.method != Method::POST && fault != Some(EdgeFault::AnyMethod) {
        return refuse(Code::MethodNotAllowed, "only POST");
    }
    let cbor = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) == Some(CONTENT_TYPE);
    if !list && !cbor && fault != Some(EdgeFault::AnyContentType) {
        return refuse(Code::UnsupportedMediaType, "Content-Type must be application/cbor");
    }
    match found {
        Route::List(chunk) => respond(run_blocking(move || app.status_list(chunk)).await),
        Route::Control(control) => {
            let body = match read_body(&parts.headers, body, MAX_CONTROL_BYTES).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            let answer = run_blocking(move || crate::controls::control(&app, &control, &body)).await;
            respond(answer)
        }
        Route::Step { endpoint, rp } => {
            // HTTP-008: the key before the body is judged
            let key = parts.headers.get(IDEMPOTENCY_HEADER).and_then(|v| v.to_str().ok()).map(parse_idempotency_key);
            let key = match key {
                Some(Ok(key)) => key,
                _ if fault == Some(EdgeFault::NoKeyNeeded) => crate::client::fresh_key(),
                Some(Err(error)) => return respond(Answer::refusal(&error)),
                None => return refuse(Code::IdempotencyKeyMissing, "no Idempotency-Key header"),
            };
            let body = match read_body(&parts.headers, body, MAX_BODY_BYTES).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            let turn = app.chaos.map_or(Turn::Calm, |percent| chaos::turn(percent, endpoint));
            let answer = run_blocking(move || {
                let no_replay = fault == Some(EdgeFault::NoReplay);
                let refuse_valid = turn == Turn::Refuse;
                app.step(&StepRequest { endpoint, rp: &rp, path: &path, key, body: &body, no_replay, refuse_valid })
            })
            .await;
            match turn {
                Turn::Delay(wait) => tokio::time::sleep(wait).await,
                Turn::DropAfterCommit if answer.status == 200 => return cut_off(),
                _ => {}
            }
            respond(answer)
        }
    }
}

/// An answer whose body fails at once: the connection is cut after the
/// status line, and the client gets no answer it can read.
fn cut_off() -> Response {
    let failing =
        futures_util::stream::once(async { Err::<Vec<u8>, _>(std::io::Error::other("chaos: answer dropped")) });
    let mut response = Response::new(Body::from_stream(failing));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// Runs `work` on a blocking thread; a panic there is the server's fault
/// (HTTP-007), answered as such, and the server goes on.
async fn run_blocking(work: impl FnOnce() -> Answer + Send + 'static) -> Answer {
    match tokio::task::spawn_blocking(work).await {
        Ok(answer) => answer,
        Err(_) => Answer::refusal(&Error::new(Code::ServerFault, "the step failed inside the server")),
    }
}
