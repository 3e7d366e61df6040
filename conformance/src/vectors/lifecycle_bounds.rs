//! The lifecycle tests at a bound or about a binding: a holder action or
//! device revocation signed at the clock-skew bound and one second past it
//! (REV-011), a migration intent at its nonce's expiry and one second past
//! it (NON-003), and each idempotency key reused with other bytes (ISS-006,
//! REV-002), the Issuer's stored answer in the fixture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The generator works on fixtures it makes itself (see generate.rs).

use ciborium::Value;
use jpki_reference::Code;
use jpki_reference::constants::CLOCK_SKEW_SECS;
use jpki_reference::crypto::SecretKey;
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::status::RevocationReason;
use jpki_reference::world::{Hop, IssueParams, LifecycleParams, World};

use super::format::VectorGroup;
use super::servers::{Case, cbor, group_with};
use crate::checks::surgery::{attributes, field, resigned_payload, split};

/// The flag of the clock-skew tests; its note names REV-011.
pub(super) const SKEW_FLAG: &str = "LifecycleSkew";

fn time(t: u64) -> Value {
    Value::Tag(1, Box::new(Value::Integer(t.into())))
}

/// `base` signed again by `secret` with its time (payload key `key`) at the
/// skew bound and one second past it, each side of the Issuer's clock `now`.
pub(super) fn skew_cases(
    world: &World,
    endpoint: &'static str,
    base: &[u8],
    secret: &SecretKey,
    key: i64,
    now: u64,
) -> Vec<Case> {
    let at = |t: u64| resigned_payload(world.provider(), base, secret, |p| *field(p, key) = time(t));
    let skew = Some(Code::LifecycleTimeSkew);
    vec![
        Case::at(
            endpoint,
            "signed CLOCK_SKEW_SECS + 1 before the Issuer's clock",
            at(now - CLOCK_SKEW_SECS - 1),
            skew,
            vec![SKEW_FLAG],
        ),
        Case::at(
            endpoint,
            "signed CLOCK_SKEW_SECS before the Issuer's clock (the bound)",
            at(now - CLOCK_SKEW_SECS),
            None,
            vec![SKEW_FLAG],
        ),
        Case::at(
            endpoint,
            "signed CLOCK_SKEW_SECS after the Issuer's clock (the bound)",
            at(now + CLOCK_SKEW_SECS),
            None,
            vec![SKEW_FLAG],
        ),
        Case::at(
            endpoint,
            "signed CLOCK_SKEW_SECS + 1 after the Issuer's clock",
            at(now + CLOCK_SKEW_SECS + 1),
            skew,
            vec![SKEW_FLAG],
        ),
    ]
}

/// `intent` judged at its challenge's expiry (answerable) and one second
/// later (NON-003): two groups over `observation`, each at its clock.
pub(super) fn nonce_lifetime_groups(
    world: &World,
    observation: &[u8],
    intent: &[u8],
    first_id: usize,
) -> Vec<VectorGroup> {
    let mut payload = split(intent).payload;
    let Value::Bytes(nonce) = field(&mut payload, 1).clone() else { panic!("an intent without its nonce") };
    let nonce: [u8; 32] = nonce.try_into().unwrap();
    let expiry = world.observe().issuer.sessions[&nonce].expiry;
    let mut out = Vec::new();
    for (clock, comment, code) in [
        (expiry, "an intent answering its challenge at the challenge's expiry", None),
        (expiry + 1, "an intent answering its challenge one second after its expiry", Some(Code::NonceExpired)),
    ] {
        let case = Case::at("migrate", comment, intent.to_vec(), code, vec!["NonceLifetime"]);
        let mut group = group_with(world, Some(observation.to_vec()), None, vec![case], first_id + out.len());
        group.clock = clock;
        out.push(group);
    }
    out
}

/// A group whose Issuer holds a stored answer at each lifecycle endpoint,
/// and for each a request with the same idempotency key and other bytes.
/// `lost` is holder h1's reported-lost action, already answered.
pub(super) fn conflict_group(world: &mut World, lost: &[u8], card_secret: &SecretKey, first_id: usize) -> VectorGroup {
    let key = LifecycleParams::with_key;
    let provider = world.provider();
    // holder h4 on phone p5 revokes from the device; h2 moves p2 to p4
    world.add_holder("h4", attributes()).unwrap();
    world.add_device("p5");
    world.issue("h4", "p5", &IssueParams::both(1)).unwrap();
    let revocation = super::servers::capture(world, Hop::DeviceRevocation, |w| {
        let _ = w.revoke_from_device("p5", RevocationReason::HolderRequest, &key(17));
    });
    world.issuer_judges_at("device_revocation", &revocation).unwrap();
    world.add_device("p4");
    let p2_auth = world.suite_secret("p2", Kind::Auth).unwrap();
    let moved = super::servers::capture(world, Hop::MigrationIntent, |w| {
        let _ = w.migrate_with_old_device("p2", "p4", &key(16));
    });
    world.issuer_judges_at("migrate", &moved).unwrap();
    let p5_auth = world.suite_secret("p5", Kind::Auth).unwrap();
    let now = world.now();
    let observation = cbor(&world.observe().issuer);
    let conflict = Some(Code::IdempotencyConflict);
    let flags = || vec!["IdempotencyConflict"];
    let cases = vec![
        Case::at(
            "migrate",
            "an answered intent's idempotency key with another notification address",
            resigned_payload(provider, &moved, &p2_auth, |p| *field(p, 4) = Value::Text("other@example.jp".into())),
            conflict,
            flags(),
        ),
        Case::at(
            "device_revocation",
            "an answered revocation's idempotency key with another time",
            resigned_payload(provider, &revocation, &p5_auth, |p| *field(p, 3) = time(now + 1)),
            conflict,
            flags(),
        ),
        Case::at(
            "holder_action",
            "an answered holder action's idempotency key with another action",
            // action 2 is suspend (report_lost is 1)
            resigned_payload(provider, lost, card_secret, |p| *field(p, 1) = Value::Integer(2.into())),
            conflict,
            flags(),
        ),
    ];
    group_with(world, Some(observation), None, cases, first_id)
}
