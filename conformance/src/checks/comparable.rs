//! What the model and the SUT must agree on after a step, up to what the
//! SUT chose at random. A wallet makes its own secure-element keys, so its
//! public keys, and the certificates the Issuer makes for them, differ
//! from the model wallet's in every honest product. The model adopts them
//! by relabelling: each distinct public key becomes its order of first
//! appearance, and each certificate its to-be-signed part with the
//! certified key relabelled the same way (the Issuer's signature over
//! another key differs too; a wallet judges a certificate by the key it
//! certifies, ISS-010, not by that signature). A wallet that reuses one key
//! for two kinds, installs a certificate for a key it does not hold, or
//! loses one, still differs from the model.

use jpki_reference::crypto::CryptoProvider;
use jpki_reference::observation::{DeviceObservation, WorldObservation};
use jpki_reference::pki::ParsedCert;
use jpki_reference::world::World;

/// The part of `world`'s observation a check judging `role` compares
/// with the model's. For a wallet: every device and card (what a message
/// delivered to a wallet can change), keys relabelled; for a server role:
/// the whole observation, byte for byte.
pub(crate) fn comparable(world: &World, role: &str) -> WorldObservation {
    let observed = world.observe();
    if role != "device" {
        return observed;
    }
    WorldObservation {
        devices: observed.devices.into_iter().map(|(n, d)| (n, relabelled(world.provider(), d))).collect(),
        cards: observed.cards,
        ..WorldObservation::default()
    }
}

fn relabelled(provider: &dyn CryptoProvider, mut device: DeviceObservation) -> DeviceObservation {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut label = |public: &[u8]| -> Vec<u8> {
        let index = match seen.iter().position(|k| k == public) {
            Some(i) => i,
            None => {
                seen.push(public.to_vec());
                seen.len() - 1
            }
        };
        format!("key #{index}").into_bytes()
    };
    for key in device.installed.values_mut().chain(device.pending.values_mut()) {
        key.public = label(&key.public);
        key.cert = key.cert.take().map(|der| match ParsedCert::parse(provider, &der) {
            Ok(cert) => {
                let certified = cert.public_key.to_sec1_uncompressed();
                let tag = label(&certified);
                replaced(&cert.tbs, &certified, &tag)
            }
            // not a certificate: compared as it is
            Err(_) => der,
        });
    }
    device
}

/// The requirement a difference between the model's comparable
/// observation and the SUT's breaks, when the difference says which: only
/// the signature counters of wallet keys differ (DEV-002).
pub(crate) fn difference_breaks(model: &WorldObservation, sut: &WorldObservation) -> Option<&'static str> {
    let mut counters_aligned = sut.clone();
    for (name, device) in counters_aligned.devices.iter_mut() {
        let Some(theirs) = model.devices.get(name) else { continue };
        for (slots, model_slots) in [(&mut device.installed, &theirs.installed), (&mut device.pending, &theirs.pending)]
        {
            for (kind, key) in slots.iter_mut() {
                if let Some(m) = model_slots.get(kind) {
                    key.counter = m.counter;
                }
            }
        }
    }
    (counters_aligned == *model && *sut != *model).then_some("DEV-002")
}

/// `bytes` with every occurrence of `what` replaced by `with`.
pub(crate) fn replaced(bytes: &[u8], what: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if !what.is_empty() && bytes[i..].starts_with(what) {
            out.extend_from_slice(with);
            i += what.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
