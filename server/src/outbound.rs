//! What a server sends to other servers: StatusFeed messages to Status and
//! a verifier's status queries (HTTP-011).

use std::sync::OnceLock;

use jpki_reference::http::Endpoint;
use jpki_reference::verifier::StatusAnswer;

use crate::client::{Client, fresh_key};

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(Client::new)
}

/// The URL of `endpoint` at the server `address` (`http://host:port`).
pub fn url(address: &str, endpoint: Endpoint, rp: &str) -> String {
    format!("{}{}", address.trim_end_matches('/'), endpoint.path(rp))
}

/// Asks the Status at `address`: its answer, its refusal, or that it
/// could not be reached (a 5xx counts as not reached: USE-012).
pub fn status_query(address: &str, query: &[u8]) -> StatusAnswer {
    match client().post(&url(address, Endpoint::StatusQuery, ""), query, Some(&fresh_key())) {
        Ok(answer) if answer.status == 200 => StatusAnswer::Response(answer.body),
        Ok(answer) if answer.status < 500 => StatusAnswer::Refused(answer.body),
        _ => StatusAnswer::Unreachable,
    }
}

/// Sends one feed message to the Status at `address`; `true` when Status
/// judged it (took it, or refused it with a 4xx).
pub fn feed(address: &str, message: &[u8]) -> bool {
    match client().post(&url(address, Endpoint::StatusFeed, ""), message, Some(&fresh_key())) {
        Ok(answer) => answer.status < 500,
        Err(_) => false,
    }
}
