//! Status lists as checks (spec/use.md §5): the SUT's Status names each
//! certificate's list index in its answers (STL-001), and the chunk that
//! holds it states the certificate's status through its life: good, on
//! hold, revoked (STL-002, STL-004), in a token a reader accepts (STL-005,
//! STL-006), whose fetch changes nothing (STL-007).
//!
//! The entries are read from the inflated bytes with the draft's bit order
//! written out here, not through the suite's own list code: a fixed
//! expectation, so a wrong order is caught wherever it sits.

use std::cell::RefCell;
use std::rc::Rc;

use jpki_reference::Code;
use jpki_reference::codec::Limits;
use jpki_reference::codec::cose_sign1::decode_sign1;
use jpki_reference::constants::LIST_CHUNK_ENTRIES;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::msgs::status::StatusResponsePayload;
use jpki_reference::msgs::{Kind, Message};
use jpki_reference::status_list::{INVALID, SUSPENDED, VALID, open_chunk};
use jpki_reference::world::{GOV_RP, Hop, LifecycleParams, SHOP_RP, World};

use super::context;

/// The entry at `position` of a 2-bit list's raw bytes, least significant
/// bits first (STL-002), read without the suite's list code.
fn entry(bytes: &[u8], position: u64) -> Option<u8> {
    let bit = position * 2;
    let byte = bytes.get(usize::try_from(bit / 8).ok()?)?;
    Some((byte >> (bit % 8)) & 0b11)
}

/// The list indices Status named in the answers `flow` received, by kind.
fn indices_named(world: &mut World, flow: impl FnOnce(&mut World)) -> Vec<(Kind, Option<u64>)> {
    let answers = Rc::new(RefCell::new(Vec::new()));
    let tap = answers.clone();
    world.set_tamper(move |hop, bytes| {
        if hop == Hop::StatusResponse {
            tap.borrow_mut().push(bytes.clone());
        }
    });
    flow(world);
    world.clear_tamper();
    let certs = world.observe().issuer.certs;
    let answers = answers.borrow();
    answers
        .iter()
        .map(|bytes| {
            let payload = decode_sign1(bytes, &Limits::V0)
                .and_then(|signed| StatusResponsePayload::from_bytes(signed.payload()))
                .unwrap_or_else(|e| context::fail_on("STA-003", "a StatusResponse", e.to_string()));
            let kind = certs.get(&payload.serial).map_or(Kind::Auth, |c| c.kind);
            (kind, payload.list_index)
        })
        .collect()
}

/// Fetches the chunks holding `expected`'s indices from the SUT's Status and
/// judges each entry.
fn lists_state(world: &mut World, expected: &[(u64, u8)], moment: &str) {
    let anchor = world.mobile_anchor().clone();
    for &(index, value) in expected {
        let (chunk, position) = (index / LIST_CHUNK_ENTRIES, index % LIST_CHUNK_ENTRIES);
        context::step("STL-004");
        let token = world
            .status_list(chunk)
            .unwrap_or_else(|e| context::fail_on("STL-004", format!("chunk {chunk}'s token"), e.error.to_string()));
        let now = world.now();
        let read = open_chunk(world.provider(), &anchor, &token, chunk, now).unwrap_or_else(|e| {
            let requirement = match e.code {
                Code::ListStale => "STL-005",
                Code::ListMismatch => "STL-006",
                _ => "STL-004",
            };
            context::fail_on(requirement, "a token a reader accepts", e.to_string())
        });
        if read.list.bits() != 2 || read.issued_at != now {
            context::fail_on(
                "STL-004",
                format!("2 bits per entry, issued at {now}"),
                format!("{} bits, issued at {}", read.list.bits(), read.issued_at),
            );
        }
        let found = entry(read.list.bytes(), position);
        if found != Some(value) {
            context::fail_on(
                "STL-002",
                format!(
                    "{moment}: entry {index} = {value} (bits {}-{} of byte {})",
                    position * 2 % 8,
                    position * 2 % 8 + 1,
                    position / 4
                ),
                format!(
                    "{found:?}; that byte is {:#04x}",
                    read.list.bytes().get((position / 4) as usize).copied().unwrap_or(0)
                ),
            );
        }
    }
}

pub(crate) fn each_certificate_stated_through_its_life() {
    let mut w = super::lifecycle::world();
    context::step("STL-001");
    let named = indices_named(&mut w, |w| {
        w.authenticate("old", SHOP_RP).unwrap();
        w.sign("old", GOV_RP, b"a contract").unwrap();
    });
    let index = |kind| {
        named.iter().find(|(k, _)| *k == kind).and_then(|(_, i)| *i).unwrap_or_else(|| {
            context::fail_on(
                "STL-001",
                format!("a list index in the answer about the {kind:?} certificate"),
                format!("{named:?}"),
            )
        })
    };
    let (auth, sign) = (index(Kind::Auth), index(Kind::Sign));
    if auth == sign {
        context::fail_on("STL-001", "one index per certificate", format!("both at {auth}"));
    }
    lists_state(&mut w, &[(auth, VALID), (sign, VALID)], "issued");
    // STL-007: reading the list is not a use
    context::step("STL-007");
    let before = w.observe().status;
    w.status_list(auth / LIST_CHUNK_ENTRIES).unwrap();
    if w.observe().status != before {
        context::fail_on("STL-007", "Status unchanged by a list read", "its records changed");
    }
    w.holder_action("hanako", HolderAction::Suspend, &LifecycleParams::with_key(1)).unwrap();
    lists_state(&mut w, &[(auth, SUSPENDED), (sign, SUSPENDED)], "on hold");
    w.holder_action("hanako", HolderAction::Resume, &LifecycleParams::with_key(2)).unwrap();
    // SUS-002: auth comes back, sign is revoked (to be issued again)
    lists_state(&mut w, &[(auth, VALID), (sign, INVALID)], "hold lifted");
    // the index stays the certificate's: asked again, Status names the same
    context::step("STL-001");
    let again = indices_named(&mut w, |w| {
        w.authenticate("old", SHOP_RP).unwrap();
    });
    if again.first().and_then(|(_, i)| *i) != Some(auth) {
        context::fail_on("STL-001", format!("index {auth} again"), format!("{again:?}"));
    }
    super::lifecycle::assert_no_violations(&w);
}

pub(crate) fn checks() -> Vec<super::Check> {
    use super::Feature::*;
    use super::{Check, CheckKind, Role};
    vec![Check::new(
        "status-list::each-certificate-through-its-life",
        "the status list states each certificate through its life: issued, on hold, revoked",
        Role::Status,
        CheckKind::Scenario,
        &["STL-001", "STL-002", "STL-004", "STL-005", "STL-006", "STL-007"],
        vec![Issuance, Authentication, Signing, Suspension],
        each_certificate_stated_through_its_life,
    )]
}
