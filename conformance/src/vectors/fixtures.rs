//! The device fixtures vector groups name in `setup`: short, fixed recipes
//! run in the world of [`VECTOR_SEED`](super::VECTOR_SEED). The generator
//! runs a recipe to make its inputs; the judge runs the same recipe with the
//! SUT's device, so both start from one definition (vectors/README.md
//! describes each recipe for vendors).

use std::cell::RefCell;
use std::rc::Rc;

use jpki_reference::world::{Hop, IssueParams, LifecycleParams, World};

use crate::checks::surgery::attributes;

/// The holder and the device every recipe uses.
pub const HOLDER: &str = "vectors";
/// The device under judgement.
pub const DEVICE: &str = "phone";

/// Runs `flow` and returns the first bytes sent at `hop`, which are withheld
/// (emptied) so their receiver refuses and nothing it would do commits.
/// Empty when nothing was sent at `hop`.
pub fn withhold(world: &mut World, hop: Hop, flow: impl FnOnce(&mut World)) -> Vec<u8> {
    let store = Rc::new(RefCell::new(Vec::new()));
    let tap = store.clone();
    world.set_tamper(move |h, bytes| {
        if h == hop && tap.borrow().is_empty() {
            *tap.borrow_mut() = std::mem::take(bytes);
        }
    });
    flow(world);
    world.clear_tamper();
    store.take()
}

/// Runs the recipe `setup` on a fresh world and returns the message it
/// withheld from the device (empty for `enrolled` and `issued`):
/// - `enrolled`: the holder and the device exist; nothing is issued yet;
/// - `issued`: the holder's card issues both kinds to the device;
/// - `issuance-pending`: as `issued`, but the IssuanceResponse is withheld,
///   so the device holds pending keys and no certificate;
/// - `wipe-pending`: `issued`, then the holder reports the phone lost with the
///   card and the phone comes online; the wipe command is withheld.
pub fn device_setup(world: &mut World, setup: &str) -> Result<Vec<u8>, String> {
    let failed = |what: &str, e: &dyn std::fmt::Debug| format!("recipe {setup}: {what}: {e:?}");
    world.add_holder(HOLDER, attributes()).map_err(|e| failed("holder", &e))?;
    world.add_device(DEVICE);
    match setup {
        "enrolled" => Ok(Vec::new()),
        "issued" => {
            world.issue(HOLDER, DEVICE, &IssueParams::both(1)).map_err(|e| failed("issue", &e))?;
            Ok(Vec::new())
        }
        "issuance-pending" => {
            let withheld = withhold(world, Hop::IssuanceResponse, |w| {
                let _ = w.issue(HOLDER, DEVICE, &IssueParams::both(1));
            });
            non_empty(withheld, setup)
        }
        "wipe-pending" => {
            world.issue(HOLDER, DEVICE, &IssueParams::both(1)).map_err(|e| failed("issue", &e))?;
            world
                .holder_action(
                    HOLDER,
                    jpki_reference::msgs::lifecycle::HolderAction::ReportLost,
                    &LifecycleParams::with_key(2),
                )
                .map_err(|e| failed("report lost", &e))?;
            world.set_online(DEVICE, true);
            let withheld = withhold(world, Hop::WipeCommand, |w| {
                let _ = w.sync_device(DEVICE);
            });
            non_empty(withheld, setup)
        }
        other => Err(format!("unknown device setup {other}")),
    }
}

/// A test's `derive`: the message its group's recipe withheld, as made for
/// the wallet being judged.
pub const WITHHELD: &str = "withheld";
/// A test's `derive`: the withheld IssuanceResponse with each certificate
/// put under the other kind. (`withheld/<flag>` is the withheld message
/// with the framing defect `flag` of `framing.rs`.)
pub const WITHHELD_KINDS_SWAPPED: &str = "withheld-kinds-swapped";

/// The input a test with `derive` has for the wallet whose recipe
/// withheld `withheld` (the generator makes the file's `input` the same
/// way, from the reference wallet's message).
pub fn derived_input(derive: &str, withheld: &[u8], world: &World) -> Result<Vec<u8>, String> {
    use ciborium::Value;
    use jpki_reference::codec::{decode_v0, encode};
    if withheld.is_empty() {
        return Err(format!("{derive}: the group's recipe withheld no message"));
    }
    match derive {
        WITHHELD => Ok(withheld.to_vec()),
        WITHHELD_KINDS_SWAPPED => {
            let shape = || format!("{derive}: the withheld message is not an IssuanceResponse with two certificates");
            let Ok(Value::Map(mut top)) = decode_v0(withheld) else { return Err(shape()) };
            let Some((_, Value::Array(certs))) = top.first_mut() else { return Err(shape()) };
            let [Value::Map(first), Value::Map(second)] = certs.as_mut_slice() else { return Err(shape()) };
            let (Some(a), Some(b)) = (first.get_mut(1), second.get_mut(1)) else { return Err(shape()) };
            std::mem::swap(&mut a.1, &mut b.1);
            encode(&Value::Map(top)).map_err(|e| format!("{derive}: {e}"))
        }
        other => match other.split_once('/') {
            Some((WITHHELD, flag)) => super::framing::defect_named(flag, withheld)
                .ok_or(format!("{derive}: no framing defect {flag} applies to the withheld message")),
            Some((super::chains::WITHHELD_CERT, which)) => super::chains::issued_cert_variant(world, withheld, which),
            _ => Err(format!("unknown derive {other}")),
        },
    }
}

fn non_empty(bytes: Vec<u8>, setup: &str) -> Result<Vec<u8>, String> {
    if bytes.is_empty() { Err(format!("recipe {setup}: the message to withhold was never sent")) } else { Ok(bytes) }
}
