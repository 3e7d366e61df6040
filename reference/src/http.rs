//! The HTTP binding (spec/http.md), defined once: the endpoints, the status
//! each refusal code gets, the limits, the headers and the test controls.
//! The reference server and the suite's HTTP client both read these
//! tables; neither does any I/O here.

use crate::codec::{Fields, Value, map};
use crate::error::{Category, Code, Error, Result};
use crate::msgs::{Digest, Kind, Message, bounded_bytes, bytes, text, uint};

/// The wire version every path carries.
pub const WIRE_VERSION: &str = "v0";

/// The prefix of every protocol path.
pub const PREFIX: &str = "/jpki/v0/";

/// The prefix of every test control (HTTP-010).
pub const CONTROL_PREFIX: &str = "/jpki/test/";

/// The only content type a body may have (HTTP-003).
pub const CONTENT_TYPE: &str = "application/cbor";

/// The header carrying a request's idempotency key (HTTP-008).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The largest body a server reads (HTTP-004, ENC-009).
pub const MAX_BODY_BYTES: usize = crate::constants::MAX_MESSAGE_BYTES;

/// The largest body of a test control, either way (observations and
/// loads of a role's whole state; test mode only).
pub const MAX_CONTROL_BYTES: usize = 64 << 20;

/// How long a server waits for a body to arrive whole (HTTP-005).
pub const UPLOAD_TIMEOUT_SECS: u64 = 10;

/// The binding's limits as spec/http.md §7 lists them: (name, value).
pub const LIMITS: [(&str, u64); 2] =
    [("MAX_MESSAGE_BYTES", MAX_BODY_BYTES as u64), ("UPLOAD_TIMEOUT_SECS", UPLOAD_TIMEOUT_SECS)];

/// A server role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerRole {
    /// The Issuer (J-LIS).
    Issuer,
    /// Status.
    Status,
    /// A verifier (its paths name its rp id).
    Verifier,
}

impl ServerRole {
    /// The role's path segment and its name in the `reset` answer.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::Issuer => "issuer",
            ServerRole::Status => "status",
            ServerRole::Verifier => "verifier",
        }
    }
}

/// One protocol step reachable over HTTP (spec/http.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Open an issuance session.
    Challenge,
    /// Issue against the card.
    Issue,
    /// Migration path A.
    Migrate,
    /// A holder action through the card.
    HolderAction,
    /// Revocation from the device.
    DeviceRevocation,
    /// A device asks for its wipe commands.
    Wipes,
    /// A device's wipe receipt.
    WipeReceipt,
    /// A verifier's status query.
    StatusQuery,
    /// The Issuer's status feed.
    StatusFeed,
    /// A relying party orders a UseRequest.
    UseRequest,
    /// A relying party hands in an assertion.
    UseVerify,
    /// A reader orders a qualification MdocRequest (QUA-008).
    MdocRequest,
    /// A reader hands in an MdocPresentation (QUA-009 … QUA-014).
    MdocVerify,
}

impl Endpoint {
    /// Every endpoint, in the order of spec/http.md §2.
    pub const ALL: [Endpoint; 13] = [
        Endpoint::Challenge,
        Endpoint::Issue,
        Endpoint::Migrate,
        Endpoint::HolderAction,
        Endpoint::DeviceRevocation,
        Endpoint::Wipes,
        Endpoint::WipeReceipt,
        Endpoint::StatusQuery,
        Endpoint::StatusFeed,
        Endpoint::UseRequest,
        Endpoint::UseVerify,
        Endpoint::MdocRequest,
        Endpoint::MdocVerify,
    ];

    /// The role that serves it.
    pub fn role(self) -> ServerRole {
        match self {
            Endpoint::StatusQuery | Endpoint::StatusFeed => ServerRole::Status,
            Endpoint::UseRequest | Endpoint::UseVerify | Endpoint::MdocRequest | Endpoint::MdocVerify => {
                ServerRole::Verifier
            }
            _ => ServerRole::Issuer,
        }
    }

    /// The step's path segment.
    pub fn step(self) -> &'static str {
        match self {
            Endpoint::Challenge => "challenge",
            Endpoint::Issue => "issue",
            Endpoint::Migrate => "migrate",
            Endpoint::HolderAction => "holder-action",
            Endpoint::DeviceRevocation => "device-revocation",
            Endpoint::Wipes => "wipes",
            Endpoint::WipeReceipt => "wipe-receipt",
            Endpoint::StatusQuery => "query",
            Endpoint::StatusFeed => "feed",
            Endpoint::UseRequest => "request",
            Endpoint::UseVerify => "verify",
            Endpoint::MdocRequest => "mdoc-request",
            Endpoint::MdocVerify => "mdoc-presentation",
        }
    }

    /// The CDDL rule of the request body ("none" for an empty body).
    pub fn request_rule(self) -> &'static str {
        match self {
            Endpoint::Challenge => "none",
            Endpoint::Issue => "IssuanceRequest",
            Endpoint::Migrate => "MigrationIntent",
            Endpoint::HolderAction => "HolderActionRequest",
            Endpoint::DeviceRevocation => "DeviceRevocation",
            Endpoint::Wipes => "WipePoll",
            Endpoint::WipeReceipt => "WipeReceipt",
            Endpoint::StatusQuery => "StatusRequest",
            Endpoint::StatusFeed => "StatusFeed",
            Endpoint::UseRequest => "UseOrder",
            Endpoint::UseVerify => "Assertion",
            Endpoint::MdocRequest => "ItemsWanted",
            Endpoint::MdocVerify => "MdocPresentation",
        }
    }

    /// The CDDL rule of the answer body ("none" for an empty body).
    pub fn answer_rule(self) -> &'static str {
        match self {
            Endpoint::Challenge => "IssuanceChallenge",
            Endpoint::Issue | Endpoint::Migrate => "IssuanceResponse",
            Endpoint::HolderAction | Endpoint::DeviceRevocation => "Receipt",
            Endpoint::Wipes => "WipeCommands",
            Endpoint::WipeReceipt | Endpoint::StatusFeed => "none",
            Endpoint::StatusQuery => "StatusResponse",
            Endpoint::UseRequest => "UseRequest",
            Endpoint::UseVerify => "UseOutcome",
            Endpoint::MdocRequest => "MdocRequest",
            Endpoint::MdocVerify => "MdocReading",
        }
    }

    /// The path, with `rp` for a verifier's (ignored for the others).
    pub fn path(self, rp: &str) -> String {
        match self.role() {
            ServerRole::Verifier => format!("{PREFIX}verifier/{rp}/{}", self.step()),
            role => format!("{PREFIX}{}/{}", role.as_str(), self.step()),
        }
    }

    /// The path as spec/http.md §2 writes it (`RP` for the rp id).
    pub fn spec_path(self) -> String {
        self.path("RP")
    }
}

/// What a request path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// A protocol step; `rp` is the verifier's rp id (empty for the others).
    Step {
        /// The step.
        endpoint: Endpoint,
        /// The verifier's rp id.
        rp: String,
    },
    /// A test control: the path after [`CONTROL_PREFIX`].
    Control(String),
    /// One chunk of Status's status list (`GET`, STL-004, HTTP-013).
    List(u64),
}

/// The path of one chunk of Status's status list.
pub fn list_path(chunk: u64) -> String {
    format!("{PREFIX}status/list/{chunk}")
}

/// Reads a request path (no query string is defined: one makes the path unknown).
pub fn route(path: &str) -> Option<Route> {
    if let Some(control) = path.strip_prefix(CONTROL_PREFIX) {
        return Some(Route::Control(control.to_owned()));
    }
    let rest = path.strip_prefix(PREFIX)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let found = |role: ServerRole, step: &str| Endpoint::ALL.into_iter().find(|e| e.role() == role && e.step() == step);
    match parts.as_slice() {
        ["verifier", rp, step] if !rp.is_empty() => {
            found(ServerRole::Verifier, step).map(|endpoint| Route::Step { endpoint, rp: (*rp).to_owned() })
        }
        ["issuer", step] => found(ServerRole::Issuer, step).map(|endpoint| Route::Step { endpoint, rp: String::new() }),
        ["status", step] => found(ServerRole::Status, step).map(|endpoint| Route::Step { endpoint, rp: String::new() }),
        // a chunk number in its shortest decimal form
        ["status", "list", chunk] => chunk.parse::<u64>().ok().filter(|n| n.to_string() == *chunk).map(Route::List),
        _ => None,
    }
}

/// The HTTP status of a refusal with `code` (spec/http.md §3).
pub fn status_of(code: Code) -> u16 {
    match code {
        Code::TooLarge => 413,
        Code::NonceReused
        | Code::IdempotencyConflict
        | Code::AlreadyActive
        | Code::ActiveElsewhere
        | Code::MigrationConflict
        | Code::FeedConflict
        | Code::FeedStale => 409,
        Code::NotAuthorised | Code::NotOwner => 403,
        Code::TooManyOpenNonces => 429,
        Code::StatusUndetermined | Code::RetryLater => 503,
        Code::MethodNotAllowed => 405,
        Code::UnknownEndpoint => 404,
        Code::UnsupportedMediaType => 415,
        Code::UploadTimeout => 408,
        Code::IdempotencyKeyMissing => 400,
        Code::ServerFault => 500,
        other => match other.category() {
            Category::Encoding | Category::Cose | Category::Key => 400,
            _ => 422,
        },
    }
}

/// Reads an `Idempotency-Key` header value: 16 bytes, unpadded base64url (HTTP-008).
pub fn parse_idempotency_key(value: &str) -> Result<[u8; 16]> {
    let missing = || Error::new(Code::IdempotencyKeyMissing, "Idempotency-Key must be 16 bytes in unpadded base64url");
    if value.len() != 22 {
        return Err(missing());
    }
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(16);
    for c in value.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(missing()),
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    // 22 characters carry 132 bits: the last 4 must be zero (canonical form)
    if bits != 0 {
        return Err(missing());
    }
    out.try_into().map_err(|_| missing())
}

/// Writes an idempotency key as its header value.
pub fn format_idempotency_key(key: &[u8; 16]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(22);
    let (mut bits, mut count) = (0u32, 0);
    for byte in key {
        bits = (bits << 8) | u32::from(*byte);
        count += 8;
        while count >= 6 {
            count -= 6;
            out.push(ALPHABET[((bits >> count) & 63) as usize] as char);
        }
        bits &= (1 << count) - 1;
    }
    if count > 0 {
        out.push(ALPHABET[((bits << (6 - count)) & 63) as usize] as char);
    }
    out
}

/// `WipePoll = { 1 => bstr .size 32 }`: a device asking for its wipe commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipePoll {
    /// The device id.
    pub device: Digest,
}

impl Message for WipePoll {
    const NAME: &'static str = "WipePoll";
    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.device))])
    }
    fn read(fields: &mut Fields) -> Result<Self> {
        let device = fields.bytes(1, "device")?;
        let device = device.try_into().map_err(|_| Error::new(Code::Malformed, "device must be 32 bytes"))?;
        Ok(WipePoll { device })
    }
}

/// `WipeCommands = { 1 => [* bstr] }`: the commands queued, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipeCommands {
    /// Each WipeCommand, as sent.
    pub commands: Vec<Vec<u8>>,
}

impl Message for WipeCommands {
    const NAME: &'static str = "WipeCommands";
    fn to_value(&self) -> Value {
        map(vec![(1, Value::Array(self.commands.iter().map(|c| bytes(c)).collect()))])
    }
    fn read(fields: &mut Fields) -> Result<Self> {
        let mut commands = Vec::new();
        for item in fields.array(1, "commands")? {
            match item {
                Value::Bytes(b) => commands.push(b),
                _ => return Err(Error::new(Code::Malformed, "a wipe command must be a bstr")),
            }
        }
        Ok(WipeCommands { commands })
    }
}

/// `UseOrder`: a relying party asks its verifier for a UseRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseOrder {
    /// The kind to use.
    pub kind: Kind,
    /// The purpose shown to the holder.
    pub purpose: String,
    /// The document digest, for `sign`.
    pub document_digest: Option<Digest>,
}

impl Message for UseOrder {
    const NAME: &'static str = "UseOrder";
    fn to_value(&self) -> Value {
        let mut entries = vec![(1, uint(self.kind.wire())), (2, text(&self.purpose))];
        if let Some(digest) = &self.document_digest {
            entries.push((3, bytes(digest)));
        }
        map(entries)
    }
    fn read(fields: &mut Fields) -> Result<Self> {
        let kind = Kind::from_wire(fields.uint(1, "kind")?)?;
        let purpose = fields.text(2, "purpose", 128)?;
        let document_digest = match fields.optional(3) {
            Some(Value::Bytes(b)) => {
                Some(b.try_into().map_err(|_| Error::new(Code::Malformed, "document digest must be 32 bytes"))?)
            }
            Some(_) => return Err(Error::new(Code::Malformed, "document digest must be a bstr")),
            None => None,
        };
        Ok(UseOrder { kind, purpose, document_digest })
    }
}

/// `UseOutcome = { 1 => serial, 2 => counter }`: what an accepted use gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseOutcome {
    /// The mobile certificate's serial.
    pub serial: Vec<u8>,
    /// The counter the assertion carried.
    pub counter: u32,
}

impl Message for UseOutcome {
    const NAME: &'static str = "UseOutcome";
    fn to_value(&self) -> Value {
        map(vec![(1, bytes(&self.serial)), (2, uint(u64::from(self.counter)))])
    }
    fn read(fields: &mut Fields) -> Result<Self> {
        let serial = bounded_bytes(fields, 1, "serial", 20)?;
        let counter = u32::try_from(fields.uint(2, "counter")?)
            .map_err(|_| Error::new(Code::Malformed, "counter must fit in 32 bits"))?;
        Ok(UseOutcome { serial, counter })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_round_trip_and_refuse_non_canonical_forms() {
        for key in [[0u8; 16], [0xff; 16], *b"0123456789abcdef"] {
            let text = format_idempotency_key(&key);
            assert_eq!(text.len(), 22);
            assert_eq!(parse_idempotency_key(&text).ok(), Some(key));
        }
        let code = |t: &str| parse_idempotency_key(t).err().map(|e| e.code);
        assert_eq!(code("AAAAAAAAAAAAAAAAAAAAAB"), Some(Code::IdempotencyKeyMissing), "non-zero padding bits");
        assert_eq!(code("AAAAAAAAAAAAAAAAAAAAA="), Some(Code::IdempotencyKeyMissing), "padding");
        assert_eq!(code("AAAA"), Some(Code::IdempotencyKeyMissing), "too short");
        assert_eq!(code("AAAAAAAAAAAAAAAAAAAA+A"), Some(Code::IdempotencyKeyMissing), "not base64url");
    }

    #[test]
    fn every_endpoint_routes_back_to_itself() {
        for endpoint in Endpoint::ALL {
            let rp = if endpoint.role() == ServerRole::Verifier { "gov.example.jp" } else { "" };
            assert_eq!(route(&endpoint.path("gov.example.jp")), Some(Route::Step { endpoint, rp: rp.to_owned() }));
        }
        assert_eq!(route("/jpki/v1/issuer/issue"), None);
        assert_eq!(route("/jpki/v0/issuer/nothing"), None);
        assert_eq!(route("/jpki/v0/verifier//request"), None);
    }
}
