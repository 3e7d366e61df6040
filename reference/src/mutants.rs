//! Built-in mutants: the reference with exactly one guarded rule switched
//! off. The conformance suite must fail each of them, on the requirement
//! the rule enforces; that is how the suite proves it can catch a bug.
//!
//! A mutation rides in the configuration of the role that owns the rule;
//! the core checks [`Mutation::disables`] where the rule is enforced.
//! A step mutant (see [`Family::Step`]) rides in the thread instead.

use std::cell::Cell;

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
    /// Status: publishes its status list with each byte's entries from the most significant bit.
    ListBitOrder,
    /// COSE: a COSE_Sign1 signature is never checked.
    AcceptAnySignature,
    /// Chains: a certificate's signature by its issuer is never checked.
    SkipChainSignatures,
    /// Chains: notAfter is never checked.
    SkipNotAfter,
    /// Chains: notBefore is never checked.
    SkipNotBefore,
    /// Chains: a certificate is refused at its notBefore and notAfter seconds (off by one).
    ValidityBoundsExclusive,
    /// Chains: the leaf's EKU is never checked.
    SkipEku,
    /// Chains: issuing certificates need not be CAs.
    SkipIssuerCaCheck,
    /// Chains: the leaf's basicConstraints and keyUsage are never checked.
    SkipLeafUsage,
    /// Chains: unknown critical extensions are ignored.
    SkipCriticalExtensions,
    /// Certificates: an extension may appear twice.
    AllowDuplicateExtensions,
    /// Certificates: a pathLenConstraint is read as in RFC 5280, not refused.
    AllowPathLen,
    /// Decoding: bytes after the message are ignored.
    AcceptTrailingBytes,
    /// Decoding: indefinite-length items are accepted.
    AcceptIndefiniteLength,
    /// Decoding: non-shortest lengths and integers are accepted.
    AcceptNonShortest,
    /// Decoding: nesting is not bounded.
    NoDepthLimit,
    /// Decoding: unknown map keys are ignored.
    IgnoreUnknownFields,
    /// Verifier: a signed time ahead of its clock is not bounded.
    SkewOneSided,
    /// Verifier: a signed time exactly CLOCK_SKEW_SECS away is refused (off by one).
    SkewBoundExclusive,
    /// Issuer and verifiers: a nonce is refused at its expiry second (off by one).
    NonceExpiryExclusive,
    /// Verifier: a status answer exactly STATUS_FRESHNESS_SECS old is refused (off by one).
    FreshnessBoundExclusive,
    /// Verifier: a status answer dated ahead of its clock is not bounded.
    IgnoreFutureStatus,
    /// Verifier: a status answer past its nextUpdate is still used.
    IgnoreNextUpdate,
    /// Verifier: the signature of Status's answer is never checked.
    SkipStatusSignature,
    /// Verifier: the chain of Status's signer is never validated.
    SkipStatusSignerChain,
    /// Decoding: map keys out of order are accepted (every message, not only the verifier's).
    AcceptUnsortedKeys,
    /// Decoding: a map key given twice is accepted.
    AcceptDuplicateKeys,
    /// Decoding: messages and collections are not bounded in size.
    NoSizeLimit,
    /// Decoding: truncated input is refused with too_large instead of malformed.
    MisreportTruncation,
    /// Decoding: a fixed-size byte string of another size is cut or zero-padded to size.
    IgnoreByteStringSizes,
    /// Verifier: takes the kind the assertion claims, not the kind it asked for.
    TrustAssertedKind,
    /// Status: writes a "used" notification for every good answer, a repeated query too.
    NotifyEveryQuery,
    /// Status: refuses the very feed it applied last as stale.
    RefuseRetriedFeed,
    /// Device: a repeated wipe command is judged afresh (the certificates are gone), not answered with its receipt.
    ForgetWipeReceipts,
    /// COSE: an unprotected header the decoder cannot read is ignored, not refused.
    LenientHeaderTypes,
    /// Verifier: the document digest is not compared with the one asked for.
    SkipDigestCheck,
    /// Status: answers whatever rp id a verifier claims and whatever kind it asks about.
    SkipRpAuthorisation,
    /// Status: answers good about a serial it has no entry for.
    UnknownAsGood,
    /// Issuer and verifiers: a nonce is answered whatever its age.
    SkipNonceExpiry,
    /// Shared: checks a signed message's signer before decoding its payload,
    /// so a message of another type is refused (or taken) by its signer.
    SignerBeforePayload,
    /// Shared: takes a nonce its receiver never made (the verifier as one of its own, the Issuer as an open session).
    AcceptUnknownNonce,
    /// Issuer: a migration may supersede certificates no longer live (already superseded, revoked or on hold).
    ReplaceInactive,
    /// Device: installs an issued certificate whatever key it certifies.
    InstallForAnyKey,
    /// Device: a wipe command naming none of its certificates wipes (and acknowledges) all it holds.
    WipeWhateverHeld,
    /// Device: keeps its pending keys after installing, so the same response installs again.
    KeepPendingKeys,
    /// Shared: takes key requests in any order, a kind repeated included.
    AnyKindOrder,
    /// Device: answers a challenge it already answered with new keys, so a
    /// retry leaves the first keys' certificates uninstallable.
    FreshKeysOnRetry,
    /// Shared: takes an IssuanceRequest's card part as the COSE_Sign1
    /// itself where the CDDL gives a bstr wrapping it.
    InlineSignedParts,
    /// Device: takes an IssuanceResponse with any number of certificates.
    AnyCertCount,
    /// Device: a request sent again for the same challenge keeps its keys
    /// but carries an idempotency key of its own.
    NewIdempotencyKeyOnRetry,
    /// Device: releases every qualification element the holder approved, asked for or not.
    ReleaseUnrequested,
    /// Device: releases the requested qualification elements whatever the holder approved.
    ReleaseWithoutConsent,
    /// Reader: takes released elements without comparing their digests with the MSO's.
    MdocSkipDigests,
    /// Reader: takes an MSO outside its validityInfo.
    MdocAcceptExpired,
    /// Reader: takes a deviceSignature without verifying it over its own session's transcript.
    MdocAnyTranscript,
    /// Issuer: lists an mdoc's status identifiers only in the feed that issues them, so a
    /// later suspension or revocation of the certificate never reaches them.
    MdocOutlivesRevocation,
}

impl Mutation {
    /// Every mutant: the scenario mutants, then the step mutants.
    pub const ALL: [Mutation; 85] = concat(Mutation::SCENARIOS, Mutation::STEPS);

    /// The scenario mutants (see [`Family::Scenario`]).
    pub const SCENARIOS: [Mutation; 36] = [
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
        Mutation::ListBitOrder,
        Mutation::ReleaseUnrequested,
        Mutation::ReleaseWithoutConsent,
        Mutation::MdocSkipDigests,
        Mutation::MdocAcceptExpired,
        Mutation::MdocAnyTranscript,
        Mutation::MdocOutlivesRevocation,
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
            Mutation::AcceptAnySignature => "accept-any-signature",
            Mutation::SkipChainSignatures => "skip-chain-signatures",
            Mutation::SkipNotAfter => "skip-not-after",
            Mutation::SkipNotBefore => "skip-not-before",
            Mutation::ValidityBoundsExclusive => "validity-bounds-exclusive",
            Mutation::SkipEku => "skip-eku",
            Mutation::SkipIssuerCaCheck => "skip-issuer-ca-check",
            Mutation::SkipLeafUsage => "skip-leaf-usage",
            Mutation::SkipCriticalExtensions => "skip-critical-extensions",
            Mutation::AllowDuplicateExtensions => "allow-duplicate-extensions",
            Mutation::AllowPathLen => "allow-path-len",
            Mutation::AcceptTrailingBytes => "accept-trailing-bytes",
            Mutation::AcceptIndefiniteLength => "accept-indefinite-length",
            Mutation::AcceptNonShortest => "accept-non-shortest",
            Mutation::NoDepthLimit => "no-depth-limit",
            Mutation::IgnoreUnknownFields => "ignore-unknown-fields",
            Mutation::SkewOneSided => "skew-one-sided",
            Mutation::SkewBoundExclusive => "skew-bound-exclusive",
            Mutation::NonceExpiryExclusive => "nonce-expiry-exclusive",
            Mutation::FreshnessBoundExclusive => "freshness-bound-exclusive",
            Mutation::IgnoreFutureStatus => "ignore-future-status",
            Mutation::IgnoreNextUpdate => "ignore-next-update",
            Mutation::SkipStatusSignature => "skip-status-signature",
            Mutation::SkipStatusSignerChain => "skip-status-signer-chain",
            Mutation::AcceptUnsortedKeys => "accept-unsorted-keys",
            Mutation::AcceptDuplicateKeys => "accept-duplicate-keys",
            Mutation::NoSizeLimit => "no-size-limit",
            Mutation::MisreportTruncation => "misreport-truncation",
            Mutation::IgnoreByteStringSizes => "ignore-byte-string-sizes",
            Mutation::TrustAssertedKind => "trust-asserted-kind",
            Mutation::NotifyEveryQuery => "notify-every-query",
            Mutation::RefuseRetriedFeed => "refuse-retried-feed",
            Mutation::ForgetWipeReceipts => "forget-wipe-receipts",
            Mutation::LenientHeaderTypes => "lenient-header-types",
            Mutation::SkipDigestCheck => "skip-digest-check",
            Mutation::SkipRpAuthorisation => "skip-rp-authorisation",
            Mutation::UnknownAsGood => "unknown-as-good",
            Mutation::SkipNonceExpiry => "skip-nonce-expiry",
            Mutation::SignerBeforePayload => "signer-before-payload",
            Mutation::ListBitOrder => "list-bit-order",
            Mutation::AcceptUnknownNonce => "accept-unknown-nonce",
            Mutation::ReplaceInactive => "replace-inactive",
            Mutation::InstallForAnyKey => "install-for-any-key",
            Mutation::WipeWhateverHeld => "wipe-whatever-held",
            Mutation::KeepPendingKeys => "keep-pending-keys",
            Mutation::AnyKindOrder => "any-kind-order",
            Mutation::FreshKeysOnRetry => "fresh-keys-on-retry",
            Mutation::InlineSignedParts => "inline-signed-parts",
            Mutation::AnyCertCount => "any-cert-count",
            Mutation::NewIdempotencyKeyOnRetry => "new-idempotency-key-on-retry",
            Mutation::ReleaseUnrequested => "release-unrequested",
            Mutation::ReleaseWithoutConsent => "release-without-consent",
            Mutation::MdocSkipDigests => "mdoc-skip-digests",
            Mutation::MdocAcceptExpired => "mdoc-accept-expired",
            Mutation::MdocAnyTranscript => "mdoc-any-transcript",
            Mutation::MdocOutlivesRevocation => "mdoc-outlives-revocation",
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
            Mutation::AcceptAnySignature => "COSE-006",
            Mutation::SkipChainSignatures => "PKI-002",
            Mutation::SkipNotAfter => "PKI-003",
            Mutation::SkipNotBefore => "PKI-004",
            Mutation::ValidityBoundsExclusive => "PKI-003",
            Mutation::SkipEku => "PKI-005",
            Mutation::SkipIssuerCaCheck => "PKI-006",
            Mutation::SkipLeafUsage => "PKI-007",
            Mutation::SkipCriticalExtensions => "PKI-008",
            Mutation::AllowDuplicateExtensions => "PKI-001",
            Mutation::AllowPathLen => "PKI-001",
            Mutation::AcceptTrailingBytes => "ENC-007",
            Mutation::AcceptIndefiniteLength => "ENC-004",
            Mutation::AcceptNonShortest => "ENC-003",
            Mutation::NoDepthLimit => "ENC-008",
            Mutation::IgnoreUnknownFields => "ENC-013",
            Mutation::SkewOneSided => "USE-003",
            Mutation::SkewBoundExclusive => "USE-003",
            Mutation::NonceExpiryExclusive => "NON-003",
            Mutation::FreshnessBoundExclusive => "USE-010",
            Mutation::IgnoreFutureStatus => "USE-010",
            Mutation::IgnoreNextUpdate => "USE-010",
            Mutation::SkipStatusSignature => "USE-011",
            Mutation::SkipStatusSignerChain => "USE-011",
            Mutation::AcceptUnsortedKeys => "ENC-005",
            Mutation::AcceptDuplicateKeys => "ENC-006",
            Mutation::NoSizeLimit => "ENC-009",
            Mutation::MisreportTruncation => "ENC-001",
            Mutation::IgnoreByteStringSizes => "ENC-001",
            Mutation::TrustAssertedKind => "PKI-005",
            Mutation::NotifyEveryQuery => "STA-004",
            Mutation::RefuseRetriedFeed => "STA-008",
            Mutation::ForgetWipeReceipts => "REV-007",
            Mutation::LenientHeaderTypes => "ENC-001",
            Mutation::SkipDigestCheck => "USE-007",
            Mutation::SkipRpAuthorisation => "STA-002",
            Mutation::UnknownAsGood => "STA-005",
            Mutation::SkipNonceExpiry => "NON-003",
            Mutation::SignerBeforePayload => "ENC-018",
            Mutation::ListBitOrder => "STL-002",
            Mutation::AcceptUnknownNonce => "NON-001",
            Mutation::ReplaceInactive => "MIG-004",
            Mutation::InstallForAnyKey => "ISS-010",
            Mutation::WipeWhateverHeld => "REV-007",
            Mutation::KeepPendingKeys => "ISS-010",
            Mutation::AnyKindOrder => "ISS-014",
            Mutation::FreshKeysOnRetry => "ISS-015",
            Mutation::InlineSignedParts => "ENC-001",
            Mutation::AnyCertCount => "ENC-001",
            Mutation::NewIdempotencyKeyOnRetry => "ISS-015",
            Mutation::ReleaseUnrequested => "QUA-005",
            Mutation::ReleaseWithoutConsent => "QUA-005",
            Mutation::MdocSkipDigests => "QUA-010",
            Mutation::MdocAcceptExpired => "QUA-011",
            Mutation::MdocAnyTranscript => "QUA-013",
            Mutation::MdocOutlivesRevocation => "QUA-003",
        }
    }

    /// True when `config_mutation`, or the thread's ambient mutation (see
    /// [`with_ambient`]), switches off the rule of `self`. Shared code that
    /// has no role configuration (decoding, COSE, chain validation) passes
    /// `None`.
    pub fn disables(self, config_mutation: Option<Mutation>) -> bool {
        config_mutation == Some(self) || AMBIENT.with(Cell::get) == Some(self)
    }

    /// Which family the mutant belongs to.
    pub fn family(self) -> Family {
        if Mutation::STEPS.contains(&self) { Family::Step } else { Family::Scenario }
    }

    /// The step mutants: one per refusal step of the shared validators
    /// (strict decoding, COSE, certificate parsing, chain validation, in the
    /// order spec/certificates.md §5 numbers them); for each time bound a
    /// role checks, the bound made exclusive (off by one) and the bound
    /// checked in one direction only; and for each rule about a message
    /// delivered twice, the repeat judged afresh. Written from the steps and
    /// rules, not from the checks that catch them.
    pub const STEPS: [Mutation; 49] = [
        Mutation::AcceptAnySignature,
        Mutation::SkipChainSignatures,
        Mutation::SkipNotAfter,
        Mutation::SkipNotBefore,
        Mutation::ValidityBoundsExclusive,
        Mutation::SkipEku,
        Mutation::SkipIssuerCaCheck,
        Mutation::SkipLeafUsage,
        Mutation::SkipCriticalExtensions,
        Mutation::AllowDuplicateExtensions,
        Mutation::AllowPathLen,
        Mutation::AcceptTrailingBytes,
        Mutation::AcceptIndefiniteLength,
        Mutation::AcceptNonShortest,
        Mutation::NoDepthLimit,
        Mutation::IgnoreUnknownFields,
        Mutation::SkewOneSided,
        Mutation::SkewBoundExclusive,
        Mutation::NonceExpiryExclusive,
        Mutation::FreshnessBoundExclusive,
        Mutation::IgnoreFutureStatus,
        Mutation::IgnoreNextUpdate,
        Mutation::SkipStatusSignature,
        Mutation::SkipStatusSignerChain,
        Mutation::AcceptUnsortedKeys,
        Mutation::AcceptDuplicateKeys,
        Mutation::NoSizeLimit,
        Mutation::MisreportTruncation,
        Mutation::IgnoreByteStringSizes,
        Mutation::TrustAssertedKind,
        Mutation::NotifyEveryQuery,
        Mutation::RefuseRetriedFeed,
        Mutation::ForgetWipeReceipts,
        Mutation::LenientHeaderTypes,
        Mutation::SkipDigestCheck,
        Mutation::SkipRpAuthorisation,
        Mutation::UnknownAsGood,
        Mutation::SkipNonceExpiry,
        Mutation::SignerBeforePayload,
        Mutation::AcceptUnknownNonce,
        Mutation::ReplaceInactive,
        Mutation::InstallForAnyKey,
        Mutation::WipeWhateverHeld,
        Mutation::KeepPendingKeys,
        Mutation::AnyKindOrder,
        Mutation::FreshKeysOnRetry,
        Mutation::InlineSignedParts,
        Mutation::AnyCertCount,
        Mutation::NewIdempotencyKeyOnRetry,
    ];
}

/// How a mutant was chosen, and so what can catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A lifecycle bug written with a scenario in mind; it rides in its
    /// role's configuration, so the model (the unmutated reference) and the
    /// property run see it diverge.
    Scenario,
    /// A step mutant ([`Mutation::STEPS`]): it switches off one step of
    /// shared code on the whole thread (the suite's own model too), so only
    /// expectations written from the spec (vectors, registry codes) catch it.
    Step,
}

thread_local! {
    static AMBIENT: Cell<Option<Mutation>> = const { Cell::new(None) };
}

/// Switches `mutation` on for shared code on this thread (until the next
/// call): how a step mutant reaches decoding, COSE and chain validation,
/// which have no role configuration. `None` switches it off.
pub fn set_ambient(mutation: Option<Mutation>) {
    AMBIENT.with(|a| a.set(mutation));
}

/// The thread's ambient mutation.
pub fn ambient() -> Option<Mutation> {
    AMBIENT.with(Cell::get)
}

/// `a` then `b`, in a constant.
const fn concat(a: [Mutation; 36], b: [Mutation; 49]) -> [Mutation; 85] {
    let mut out = [Mutation::SkipStatusCheck; 85];
    let mut i = 0;
    while i < 36 {
        out[i] = a[i];
        i += 1;
    }
    while i < 85 {
        out[i] = b[i - 36];
        i += 1;
    }
    out
}
