//! What a server sends to other servers: StatusFeed messages to Status and
//! a verifier's status queries (HTTP-011).

use std::sync::OnceLock;

use jpki_reference::error::Category;
use jpki_reference::http::Endpoint;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::verifier::StatusAnswer;

use crate::client::{Client, Received, fresh_key};

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(Client::new)
}

/// The URL of `endpoint` at the server `address` (`http://host:port`).
pub fn url(address: &str, endpoint: Endpoint, rp: &str) -> String {
    format!("{}{}", address.trim_end_matches('/'), endpoint.path(rp))
}

/// A refusal by Status of the message itself: an `Error` with a protocol
/// code. The binding's own codes (a wrong address, a wrong method) and
/// anything else say Status was not really reached.
fn judged_by_status(answer: &Received) -> bool {
    match ErrorMessage::from_bytes(&answer.body) {
        Ok(message) => message.code.category() != Category::Http && answer.status < 500,
        Err(_) => false,
    }
}

/// Asks the Status at `address`: its answer, its refusal, or that it
/// could not be reached (USE-012): no answer, a 5xx, or a refusal of the
/// envelope rather than of the query.
pub fn status_query(address: &str, query: &[u8]) -> StatusAnswer {
    match client().post(&url(address, Endpoint::StatusQuery, ""), query, Some(&fresh_key())) {
        Ok(answer) if answer.status == 200 => StatusAnswer::Response(answer.body),
        Ok(answer) if judged_by_status(&answer) => StatusAnswer::Refused(answer.body),
        _ => StatusAnswer::Unreachable,
    }
}

/// Sends feed message `seq` to the Status at `address`, under a key made
/// of this process's `salt` and `seq` (a resend is the same request,
/// HTTP-008); `true` when Status judged it: took it, or refused the
/// message itself.
pub fn feed(address: &str, salt: &[u8; 8], seq: i64, message: &[u8]) -> bool {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(salt);
    key[8..].copy_from_slice(&seq.to_be_bytes());
    match client().post(&url(address, Endpoint::StatusFeed, ""), message, Some(&key)) {
        Ok(answer) => answer.status == 200 || judged_by_status(&answer),
        Err(_) => false,
    }
}
