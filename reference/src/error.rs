//! The error-code registry: every refusal the reference makes names exactly
//! one of these codes, and each code names the spec requirement it enforces.
//!
//! The table below is the single definition. `spec/errors.md` is checked
//! against it by a test (`spec_registry_matches_code`), so the two never drift.

use std::borrow::Cow;
use std::fmt;

/// Broad families of refusal, for callers that only need to know where a
/// problem sits (the wire, a signature, a certificate, the protocol state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// The bytes are not a valid encoding of a v0 message.
    Encoding,
    /// COSE structure or signature problems.
    Cose,
    /// Public key problems.
    Key,
    /// Certificate and chain problems.
    Pki,
    /// The card's PIN rules.
    Card,
    /// Nonces: unknown, reused, expired.
    Nonce,
    /// Issuance checks.
    Issuance,
    /// Use (authentication and signing) checks.
    Use,
    /// Status answers.
    Status,
    /// Migration, revocation, suspension and wipe.
    Lifecycle,
    /// The HTTP binding's envelope (spec/http.md).
    Http,
}

macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $req:literal, $cat:ident; )*) => {
        /// A stable, machine-readable refusal code (see `spec/errors.md`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code in the registry, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The wire spelling of the code (snake_case, never changes).
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $text, )* }
            }

            /// The id of the spec requirement this code enforces.
            pub const fn requirement(self) -> &'static str {
                match self { $( Code::$variant => $req, )* }
            }

            /// The family the code belongs to.
            pub const fn category(self) -> Category {
                match self { $( Code::$variant => Category::$cat, )* }
            }

            /// Looks a code up by its wire spelling.
            pub fn from_wire(text: &str) -> Option<Code> {
                match text { $( $text => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

registry! {
    /// Not well-formed CBOR, or not the shape the schema asks for.
    Malformed = "malformed", "ENC-001", Encoding;
    /// An integer (or tag number) not in its shortest form.
    NonShortestInt = "non_shortest_int", "ENC-002", Encoding;
    /// A string, array or map length not in its shortest form.
    NonShortestLength = "non_shortest_length", "ENC-003", Encoding;
    /// An indefinite-length string, array or map.
    IndefiniteLength = "indefinite_length", "ENC-004", Encoding;
    /// Map keys not in bytewise lexicographic order of their encodings.
    UnsortedMapKeys = "unsorted_map_keys", "ENC-005", Encoding;
    /// The same key twice in one map.
    DuplicateMapKey = "duplicate_map_key", "ENC-006", Encoding;
    /// Bytes left over after the top-level item.
    TrailingBytes = "trailing_bytes", "ENC-007", Encoding;
    /// Nesting deeper than `MAX_DEPTH`.
    TooDeep = "too_deep", "ENC-008", Encoding;
    /// A message over `MAX_MESSAGE_BYTES` or a collection over `MAX_COLLECTION_ITEMS`.
    TooLarge = "too_large", "ENC-009", Encoding;
    /// A text string that is not valid UTF-8.
    InvalidUtf8 = "invalid_utf8", "ENC-010", Encoding;
    /// A float, `undefined` or another simple value v0 does not use.
    UnsupportedType = "unsupported_type", "ENC-011", Encoding;
    /// A map key the v0 schema does not define.
    UnknownField = "unknown_field", "ENC-013", Encoding;
    /// A clock or time for which a computed time (an expiry, a nextUpdate) would not fit.
    TimeOutOfRange = "time_out_of_range", "ENC-017", Encoding;
    /// A COSE_Sign1 without tag 18, or with another tag.
    WrongTag = "wrong_tag", "COSE-001", Cose;
    /// `alg` absent from the protected header (missing, or only unprotected).
    AlgNotProtected = "alg_not_protected", "COSE-002", Cose;
    /// An algorithm other than ES256 (-7).
    UnsupportedAlg = "unsupported_alg", "COSE-003", Cose;
    /// A `crit` label this version does not understand.
    UnknownCritical = "unknown_critical", "COSE-004", Cose;
    /// A signature that is not exactly 64 bytes (r || s).
    BadSignatureSize = "bad_signature_size", "COSE-005", Cose;
    /// The signature does not verify.
    BadSignature = "bad_signature", "COSE-006", Cose;
    /// No `x5chain` (33) in the protected header where the message needs one.
    X5chainMissing = "x5chain_missing", "COSE-007", Cose;
    /// `x5chain` present but not one bstr or an array of 2 to `MAX_CHAIN_LEN` bstr.
    X5chainMalformed = "x5chain_malformed", "COSE-008", Cose;
    /// One header label in both the protected and the unprotected bucket.
    DuplicateHeader = "duplicate_header", "COSE-009", Cose;
    /// A COSE_Key of another type or curve than EC2 / P-256.
    UnsupportedKey = "unsupported_key", "KEY-001", Key;
    /// A P-256 key with wrong-sized coordinates or a point not on the curve.
    InvalidKey = "invalid_key", "KEY-002", Key;
    /// A certificate that does not parse, or is outside the v0 profile.
    CertMalformed = "cert_malformed", "PKI-001", Pki;
    /// No chain from the certificate to the trust anchor for its purpose.
    UntrustedChain = "untrusted_chain", "PKI-002", Pki;
    /// A certificate in the chain is past its notAfter at the time of use.
    CertExpired = "cert_expired", "PKI-003", Pki;
    /// A certificate in the chain is before its notBefore at the time of use.
    CertNotYetValid = "cert_not_yet_valid", "PKI-004", Pki;
    /// The leaf lacks the extended key usage for the purpose it is used for.
    WrongPurpose = "wrong_purpose", "PKI-005", Pki;
    /// An issuing certificate without basicConstraints cA or keyCertSign.
    NotACa = "not_a_ca", "PKI-006", Pki;
    /// A leaf that may sign certificates, is a CA, or lacks digitalSignature.
    BadKeyUsage = "bad_key_usage", "PKI-007", Pki;
    /// A critical extension the v0 profile does not know.
    UnknownCriticalExtension = "unknown_critical_extension", "PKI-008", Pki;
    /// A revoked certificate (card or mobile) offered for use.
    CertRevoked = "cert_revoked", "PKI-012", Pki;
    /// A suspended (on hold) mobile certificate offered for use.
    CertSuspended = "cert_suspended", "PKI-013", Pki;
    /// A wrong PIN or sign password; the failure count moved by one.
    PinWrong = "pin_wrong", "PIN-001", Card;
    /// The PIN is locked after too many failures; nothing is signed.
    PinLocked = "pin_locked", "PIN-002", Card;
    /// A nonce the receiver never issued.
    NonceUnknown = "nonce_unknown", "NON-001", Nonce;
    /// A nonce already answered.
    NonceReused = "nonce_reused", "NON-002", Nonce;
    /// A nonce past its lifetime.
    NonceExpired = "nonce_expired", "NON-003", Nonce;
    /// The receiver holds `MAX_OPEN_NONCES` open nonces and makes no more.
    TooManyOpenNonces = "too_many_open_nonces", "NON-004", Nonce;
    /// The two card signatures come from certificates of different cards.
    CardMismatch = "card_mismatch", "ISS-002", Issuance;
    /// A key attestation that does not chain to the platform root, or does
    /// not say "in SE, UV required" for this key and this nonce.
    AttestationUntrusted = "attestation_untrusted", "ISS-003", Issuance;
    /// The holder has an active mobile cert of that kind on another device.
    ActiveElsewhere = "active_elsewhere", "ISS-004", Issuance;
    /// The holder already has an active mobile cert of that kind on this device.
    AlreadyActive = "already_active", "ISS-005", Issuance;
    /// An idempotency key reused with a different request body.
    IdempotencyConflict = "idempotency_conflict", "ISS-006", Issuance;
    /// The Issuer cannot judge a request now (busy); nothing changed and no
    /// answer is stored: the device sends the same request again.
    RetryLater = "retry_later", "ISS-016", Issuance;
    /// The assertion is for another relying party.
    RpMismatch = "rp_mismatch", "USE-001", Use;
    /// The transcript hash does not bind this session (rp, nonce, purpose, cert).
    TranscriptMismatch = "transcript_mismatch", "USE-002", Use;
    /// The signed time is outside the allowed clock skew.
    ClockSkew = "clock_skew", "USE-003", Use;
    /// The user was not verified for this signature.
    UvMissing = "uv_missing", "USE-004", Use;
    /// `sign` used with a passcode instead of biometrics.
    UvMethodInsufficient = "uv_method_insufficient", "USE-005", Use;
    /// The counter did not increase: a cloned key.
    CounterRegression = "counter_regression", "USE-006", Use;
    /// The signed document digest is not the one asked for.
    DigestMismatch = "digest_mismatch", "USE-007", Use;
    /// The status response is too old, or past its nextUpdate.
    StatusStale = "status_stale", "USE-010", Use;
    /// The status response is for another certificate or nonce.
    StatusMismatch = "status_mismatch", "USE-011", Use;
    /// Status could not be reached: neither good nor revoked, and refused.
    StatusUndetermined = "status_undetermined", "USE-012", Use;
    /// A status list that is not a StatusList: unknown or missing keys, bits not 1, 2, 4 or 8, not one ZLIB stream, or too large once inflated.
    ListMalformed = "list_malformed", "STL-003", Use;
    /// A status-list token issued in the future or past its expiry.
    ListStale = "list_stale", "STL-005", Use;
    /// A status-list token for another chunk, or an index past its list.
    ListMismatch = "list_mismatch", "STL-006", Use;
    /// A verifier not authorised for `sign` asked about a `sign` cert.
    NotAuthorised = "not_authorised", "STA-002", Status;
    /// Status knows no mobile certificate with that serial.
    CertUnknown = "cert_unknown", "STA-005", Status;
    /// The certificates a migration replaces were superseded meanwhile: another migration committed first.
    MigrationConflict = "migration_conflict", "MIG-004", Lifecycle;
    /// A device named certificates that are not its own.
    NotOwner = "not_owner", "REV-003", Lifecycle;
    /// Lifting a hold when nothing is on hold.
    NotSuspended = "not_suspended", "SUS-003", Lifecycle;
    /// A wipe receipt for a command the Issuer never queued, or for other certificates.
    WipeUnknown = "wipe_unknown", "REV-007", Lifecycle;
    /// A path-A migration whose new keys' kinds are not, one for one, the kinds it replaces.
    MigrationKindsMismatch = "migration_kinds_mismatch", "MIG-005", Lifecycle;
    /// A path-A migration moving a `sign` key on passcode verification.
    MigrationUvInsufficient = "migration_uv_insufficient", "MIG-006", Lifecycle;
    /// A migration whose new keys were attested by the old device itself.
    SameDevice = "same_device", "MIG-007", Lifecycle;
    /// A StatusFeed that contradicts a revocation Status holds, or changes a certificate's kind.
    FeedConflict = "feed_conflict", "STA-007", Status;
    /// A StatusFeed not newer than the one Status last applied for that certificate.
    FeedStale = "feed_stale", "STA-008", Status;
    /// The wallet's secure element was asked to use a private key without user verification.
    SeUvRequired = "se_uv_required", "DEV-001", Use;
    /// One SE key offered for two kinds in one request.
    DuplicateKey = "duplicate_key", "ISS-011", Issuance;
    /// A hold or a lost-phone report when the holder has nothing it could change.
    NothingLive = "nothing_live", "SUS-004", Lifecycle;
    /// A holder action, device revocation or wipe receipt whose signed time is outside the allowed skew.
    LifecycleTimeSkew = "lifecycle_time_skew", "REV-011", Lifecycle;
    /// A wipe receipt for a command the Issuer has not delivered yet.
    WipeNotDelivered = "wipe_not_delivered", "REV-012", Lifecycle;
    /// An HTTP method other than POST at a protocol path.
    MethodNotAllowed = "method_not_allowed", "HTTP-001", Http;
    /// A path the server does not serve.
    UnknownEndpoint = "unknown_endpoint", "HTTP-002", Http;
    /// A body without `Content-Type: application/cbor`.
    UnsupportedMediaType = "unsupported_media_type", "HTTP-003", Http;
    /// A body that did not arrive whole in time.
    UploadTimeout = "upload_timeout", "HTTP-005", Http;
    /// The server's own fault (a store that failed, a bug), never the input's.
    ServerFault = "server_fault", "HTTP-007", Http;
    /// A request without a well-formed `Idempotency-Key` header.
    IdempotencyKeyMissing = "idempotency_key_missing", "HTTP-008", Http;
    /// The holder approved none of the elements a reader asked for.
    ConsentDeclined = "consent_declined", "QUA-005", Use;
    /// The wallet holds no qualification mdoc with presentations left (none issued, wiped, or all used).
    MdocExhausted = "mdoc_exhausted", "QUA-007", Use;
    /// A response releasing an element or doctype the request did not ask for.
    NotRequested = "not_requested", "QUA-012", Use;
    /// A released element whose digest is not the one its MSO lists.
    ItemDigestMismatch = "item_digest_mismatch", "QUA-010", Use;
    /// An MSO outside its validityInfo.
    MdocExpired = "mdoc_expired", "QUA-011", Use;
    /// A deviceSignature that does not verify over the reader's own session transcript with the MSO's device key.
    DeviceAuthFailed = "device_auth_failed", "QUA-013", Use;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: the registry code plus a human-readable detail.
///
/// Equality compares the code only: tests and conformance verdicts are about
/// the code, while the detail is for people.
#[derive(Clone, Debug)]
pub struct Error {
    /// The registry code.
    pub code: Code,
    /// What exactly was wrong, for a person reading a log or report.
    pub detail: Cow<'static, str>,
}

impl Error {
    /// A refusal with a fixed detail text.
    pub const fn new(code: Code, detail: &'static str) -> Self {
        Error { code, detail: Cow::Borrowed(detail) }
    }

    /// A refusal with a detail built at run time.
    pub fn with_detail(code: Code, detail: impl Into<String>) -> Self {
        Error { code, detail: Cow::Owned(detail.into()) }
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for Error {}

impl From<Code> for Error {
    fn from(code: Code) -> Self {
        Error { code, detail: Cow::Borrowed("") }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            write!(f, "{} ({})", self.code, self.code.requirement())
        } else {
            write!(f, "{} ({}): {}", self.code, self.code.requirement(), self.detail)
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand for results that refuse with a registry [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
