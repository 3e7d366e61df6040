//! What the SUT sends is in core deterministic encoding (ENC-014): a
//! sample of each role's messages (the Issuer's challenge, issuance response
//! and receipt; the verifier's UseRequest; the wallet's assertion; Status's
//! list token), read by the suite's strict decoder, the protected header and
//! payload inside each COSE_Sign1 too, must re-encode to exactly the bytes
//! sent. One check per role, each reading only what that role sent. Every
//! other check reads the SUT's messages with the strict decoder too, but
//! fails on the rule of the step it was at; these name ENC-014.

use ciborium::Value;
use jpki_reference::codec::{Limits, decode, encode};
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::world::{IssueParams, LifecycleParams, SHOP_RP};

use super::context;
use super::surgery::{fresh, issued};

/// Fails on ENC-014 unless `bytes` (what the SUT sent as `what`) decode
/// strictly and re-encode to themselves, and so do a COSE_Sign1's protected
/// header and payload.
fn deterministic(what: &str, bytes: &[u8]) {
    let expected = format!("{what}: deterministic CBOR that re-encodes to the bytes sent");
    let value = decode(bytes, &Limits::V0)
        .unwrap_or_else(|e| context::fail_on("ENC-014", &expected, format!("the strict decoder refuses it: {e}")));
    let again = encode(&value).unwrap_or_else(|e| context::fail_on("ENC-014", &expected, e.to_string()));
    if again != bytes {
        context::fail_on(
            "ENC-014",
            &expected,
            format!("re-encodes to other bytes ({} vs {} bytes)", again.len(), bytes.len()),
        );
    }
    if let Value::Tag(18, inner) = value {
        if let Value::Array(items) = *inner {
            for (part, item) in [("protected header", items.first()), ("payload", items.get(2))] {
                if let Some(Value::Bytes(inner_bytes)) = item {
                    if !inner_bytes.is_empty() {
                        deterministic(&format!("{what}'s {part}"), inner_bytes);
                    }
                }
            }
        }
    }
}

fn what_the_issuer_sends() {
    let mut w = fresh();
    context::step("ENC-014");
    deterministic("IssuanceChallenge", &w.issuance_challenge().unwrap());
    deterministic("IssuanceResponse", &w.issue("ichiro", "phone", &IssueParams::both(1)).unwrap());
    let receipt = w.holder_action("ichiro", HolderAction::Suspend, &LifecycleParams::with_key(1)).unwrap();
    deterministic("holder-action receipt", &receipt);
}

fn what_the_verifier_sends() {
    let mut w = issued();
    context::step("ENC-014");
    deterministic("UseRequest (auth)", &w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap());
}

fn what_the_device_sends() {
    let mut w = issued();
    context::step("ENC-014");
    let request = w.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
    deterministic("Assertion", &w.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap());
}

fn what_status_sends() {
    let mut w = issued();
    context::step("ENC-014");
    deterministic("StatusListToken", &w.status_list(0).unwrap());
}

pub(crate) fn checks() -> Vec<super::Check> {
    use super::Feature::*;
    use super::{Check, CheckKind, Role};
    let one = |role: Role, name: &str, features: Vec<super::Feature>, run: fn()| {
        Check::new(
            &format!("encoding::what-the-{name}-sends"),
            &format!("what the {name} sends is deterministic CBOR that re-encodes to itself"),
            role,
            CheckKind::Scenario,
            &["ENC-014"],
            features,
            run,
        )
    };
    vec![
        one(Role::Issuer, "issuer", vec![Issuance, Suspension], what_the_issuer_sends),
        one(Role::Verifier, "verifier", vec![Issuance, Authentication], what_the_verifier_sends),
        one(Role::Device, "device", vec![Issuance, Authentication], what_the_device_sends),
        one(Role::Status, "status", vec![Issuance], what_status_sends),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure_of(bytes: &'static [u8]) -> Option<String> {
        let caught = std::panic::catch_unwind(|| deterministic("a test item", bytes)).err()?;
        caught.downcast_ref::<context::Failure>().and_then(|f| f.requirement.clone())
    }

    #[test]
    fn a_non_deterministic_item_fails_on_enc_014() {
        assert_eq!(failure_of(&[0xa2, 0x01, 0x00, 0x02, 0x00]), None, "sorted keys, shortest forms");
        assert_eq!(failure_of(&[0xa2, 0x02, 0x00, 0x01, 0x00]).as_deref(), Some("ENC-014"), "unsorted keys");
        assert_eq!(failure_of(&[0x18, 0x01]).as_deref(), Some("ENC-014"), "1 in two bytes");
        // inside a COSE_Sign1: a payload with unsorted keys
        let inner: &'static [u8] = &[0xd2, 0x84, 0x40, 0xa0, 0x45, 0xa2, 0x02, 0x00, 0x01, 0x00, 0x40];
        assert_eq!(failure_of(inner).as_deref(), Some("ENC-014"), "a COSE_Sign1's payload");
    }
}
