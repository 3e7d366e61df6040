//! Built-in mutants: the reference with exactly one guarded rule switched
//! off. The conformance suite must fail each of them, on the requirement
//! the rule enforces; that is how the suite proves it can catch a bug.
//!
//! A mutation rides in the configuration of the role that owns the rule;
//! the core checks [`Mutation::disables`] where the rule is enforced.

/// One switched-off rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutation {
    /// Verifier: accepts without evaluating Status's answer.
    SkipStatusCheck,
    /// Verifier: accepts a nonce already used.
    AcceptReusedNonce,
    /// Verifier: ignores the signature counter.
    IgnoreCounter,
    /// Verifier: accepts passcode UV for `sign`.
    AcceptPasscodeForSign,
    /// Issuer: leaves the old device's certificates active after migration.
    OldDeviceStaysActive,
    /// Status: writes no notification on use.
    NoUseNotification,
    /// Verifier: decodes assertions without the deterministic-encoding checks.
    AcceptNonDeterministicCbor,
    /// Issuer: accepts a revoked card certificate.
    AcceptRevokedCardCert,
    /// Verifier: reads an unreachable Status as `good`.
    UndeterminedAsGood,
    /// Issuer: forgets idempotency keys (a retry is a new request).
    ForgetIdempotencyKey,
    /// Verifier: accepts an assertion made for another rp.
    AcceptOtherRp,
    /// Issuer: keeps `auth` suspended after the hold is lifted.
    KeepAuthSuspended,
    /// Issuer: path A mints whatever kinds the intent names.
    MigrateAnyKind,
    /// Issuer: path A moves a `sign` key on passcode verification.
    MigrateSignOnPasscode,
    /// Issuer: path A "migrates" a device to itself.
    MigrateToSameDevice,
    /// Status: applies a feed whoever signed it.
    TrustAnyFeedSigner,
    /// Status: a feed may bring a revoked certificate back or change its kind.
    FeedUndoesRevocation,
    /// Status: applies a feed older than the one it holds.
    AcceptStaleFeed,
    /// Issuer: a receipt restates the request ("revoked", its reason, now), whatever happened.
    ReceiptRestatesRequest,
    /// Verifier: asks Status before (and whatever) its local checks say.
    QueryStatusFirst,
    /// Device: the secure element signs without user verification.
    SignWithoutUv,
    /// Device: asks the card for the auth PIN after the sign password was refused.
    AskPinAfterRefusal,
    /// Issuer: certifies one SE key for both kinds.
    OneKeyTwoKinds,
    /// Issuer: answers a hold with nothing live with Status's cert_unknown.
    NothingLiveAsUnknown,
    /// Issuer: never checks the time a lifecycle request states.
    IgnoreLifecycleTime,
    /// Issuer: takes a receipt for a wipe command never delivered.
    AckQueuedWipe,
    /// Issuer: registering a card again resets its record, lifting a revocation.
    ReRegisterUnrevokes,
    /// Issuer and verifiers: make nonces without bound.
    UnboundedNonces,
    /// Issuer: keeps idempotency records (and answers retries from them) forever.
    KeepIdempotencyForever,
}

impl Mutation {
    /// Every mutant.
    pub const ALL: [Mutation; 29] = [
        Mutation::SkipStatusCheck,
        Mutation::AcceptReusedNonce,
        Mutation::IgnoreCounter,
        Mutation::AcceptPasscodeForSign,
        Mutation::OldDeviceStaysActive,
        Mutation::NoUseNotification,
        Mutation::AcceptNonDeterministicCbor,
        Mutation::AcceptRevokedCardCert,
        Mutation::UndeterminedAsGood,
        Mutation::ForgetIdempotencyKey,
        Mutation::AcceptOtherRp,
        Mutation::KeepAuthSuspended,
        Mutation::MigrateAnyKind,
        Mutation::MigrateSignOnPasscode,
        Mutation::MigrateToSameDevice,
        Mutation::TrustAnyFeedSigner,
        Mutation::FeedUndoesRevocation,
        Mutation::AcceptStaleFeed,
        Mutation::ReceiptRestatesRequest,
        Mutation::QueryStatusFirst,
        Mutation::SignWithoutUv,
        Mutation::AskPinAfterRefusal,
        Mutation::OneKeyTwoKinds,
        Mutation::NothingLiveAsUnknown,
        Mutation::IgnoreLifecycleTime,
        Mutation::AckQueuedWipe,
        Mutation::ReRegisterUnrevokes,
        Mutation::UnboundedNonces,
        Mutation::KeepIdempotencyForever,
    ];

    /// The name used on the command line (`--sut mutant:NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Mutation::SkipStatusCheck => "skip-status-check",
            Mutation::AcceptReusedNonce => "accept-reused-nonce",
            Mutation::IgnoreCounter => "ignore-counter",
            Mutation::AcceptPasscodeForSign => "accept-passcode-for-sign",
            Mutation::OldDeviceStaysActive => "old-device-stays-active",
            Mutation::NoUseNotification => "no-use-notification",
            Mutation::AcceptNonDeterministicCbor => "accept-non-deterministic-cbor",
            Mutation::AcceptRevokedCardCert => "accept-revoked-card-cert",
            Mutation::UndeterminedAsGood => "undetermined-as-good",
            Mutation::ForgetIdempotencyKey => "forget-idempotency-key",
            Mutation::AcceptOtherRp => "accept-other-rp",
            Mutation::KeepAuthSuspended => "keep-auth-suspended",
            Mutation::MigrateAnyKind => "migrate-any-kind",
            Mutation::MigrateSignOnPasscode => "migrate-sign-on-passcode",
            Mutation::MigrateToSameDevice => "migrate-to-same-device",
            Mutation::TrustAnyFeedSigner => "trust-any-feed-signer",
            Mutation::FeedUndoesRevocation => "feed-undoes-revocation",
            Mutation::AcceptStaleFeed => "accept-stale-feed",
            Mutation::ReceiptRestatesRequest => "receipt-restates-request",
            Mutation::QueryStatusFirst => "query-status-first",
            Mutation::SignWithoutUv => "sign-without-uv",
            Mutation::AskPinAfterRefusal => "ask-pin-after-refusal",
            Mutation::OneKeyTwoKinds => "one-key-two-kinds",
            Mutation::NothingLiveAsUnknown => "nothing-live-as-unknown",
            Mutation::IgnoreLifecycleTime => "ignore-lifecycle-time",
            Mutation::AckQueuedWipe => "ack-queued-wipe",
            Mutation::ReRegisterUnrevokes => "re-register-unrevokes",
            Mutation::UnboundedNonces => "unbounded-nonces",
            Mutation::KeepIdempotencyForever => "keep-idempotency-forever",
        }
    }

    /// Looks a mutant up by name.
    pub fn from_name(name: &str) -> Option<Mutation> {
        Mutation::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The requirement the switched-off rule enforces.
    pub fn requirement(self) -> &'static str {
        match self {
            Mutation::SkipStatusCheck => "USE-013",
            Mutation::AcceptReusedNonce => "NON-002",
            Mutation::IgnoreCounter => "USE-006",
            Mutation::AcceptPasscodeForSign => "USE-005",
            Mutation::OldDeviceStaysActive => "MIG-003",
            Mutation::NoUseNotification => "STA-004",
            Mutation::AcceptNonDeterministicCbor => "ENC-005",
            Mutation::AcceptRevokedCardCert => "PKI-012",
            Mutation::UndeterminedAsGood => "USE-012",
            Mutation::ForgetIdempotencyKey => "ISS-006",
            Mutation::AcceptOtherRp => "USE-001",
            Mutation::KeepAuthSuspended => "SUS-002",
            Mutation::MigrateAnyKind => "MIG-005",
            Mutation::MigrateSignOnPasscode => "MIG-006",
            Mutation::MigrateToSameDevice => "MIG-007",
            Mutation::TrustAnyFeedSigner => "STA-006",
            Mutation::FeedUndoesRevocation => "STA-007",
            Mutation::AcceptStaleFeed => "STA-008",
            Mutation::ReceiptRestatesRequest => "REV-010",
            Mutation::QueryStatusFirst => "USE-009",
            Mutation::SignWithoutUv => "DEV-001",
            Mutation::AskPinAfterRefusal => "PIN-004",
            Mutation::OneKeyTwoKinds => "ISS-011",
            Mutation::NothingLiveAsUnknown => "SUS-004",
            Mutation::IgnoreLifecycleTime => "REV-011",
            Mutation::AckQueuedWipe => "REV-012",
            Mutation::ReRegisterUnrevokes => "REV-013",
            Mutation::UnboundedNonces => "NON-004",
            Mutation::KeepIdempotencyForever => "ISS-012",
        }
    }

    /// True when `config_mutation` switches off the rule of `self`.
    pub fn disables(self, config_mutation: Option<Mutation>) -> bool {
        config_mutation == Some(self)
    }
}
