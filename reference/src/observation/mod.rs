//! What the suite may observe of each role (`spec/observation.cddl`): the
//! protocol-level facts a black box can honestly report and the invariants
//! need, never a secret or an internal form. A system under test answers
//! the `*.observe` shim methods in this form, and fixed vectors set their
//! fixtures up with it (`*.load`), so a vendor never re-creates another
//! program's serialisation. The reference converts its internal state to
//! and from it; nothing else of the reference's state leaves a role.
//!
//! Byte strings are CBOR `bstr` ([`crate::codec::bstr`]); enumerations are snake-case text.

use crate::codec::bstr;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::CardState;
use crate::device::DeviceState;
use crate::issuer::{CardRecord, IssuerState, MobileCertRecord, Session, StoredAnswer, WipeRecord};
use crate::msgs::status::CertStatus;
use crate::msgs::{IdempotencyKey, Kind, Nonce};
use crate::notify::Notification;
use crate::status::{StatusState, UsageEntry};
use crate::time::UnixTime;
use crate::verifier::{IssuedNonce, VerifierState};

/// The scope an idempotency record answers for: endpoint, requester, key.
pub type IdempotencyScope = (String, Vec<u8>, IdempotencyKey);

/// What may be observed of an Issuer (`IssuerObservation` in the CDDL).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IssuerObservation {
    /// Issuance sessions by challenge nonce.
    #[serde(with = "bstr::keyed")]
    pub sessions: BTreeMap<Nonce, Session>,
    /// Card records by the card's auth-certificate serial (the holder).
    #[serde(with = "bstr::keyed")]
    pub cards: BTreeMap<Vec<u8>, CardRecord>,
    /// Mobile certificates by serial.
    #[serde(with = "bstr::keyed")]
    pub certs: BTreeMap<Vec<u8>, MobileCertRecord>,
    /// Idempotency records: the answer stored for each scope (ISS-006).
    #[serde(with = "idempotency_records")]
    pub idempotency: BTreeMap<IdempotencyScope, StoredAnswer>,
    /// Notification events written, oldest first.
    pub outbox: Vec<Notification>,
    /// Wipe commands by command id.
    #[serde(with = "bstr::keyed")]
    pub wipes: BTreeMap<[u8; 16], WipeRecord>,
    /// The last StatusFeed's sequence number (STA-008); 0 before any.
    #[serde(default)]
    pub feed_sequence: u64,
}

/// What may be observed of Status (`StatusObservation` in the CDDL).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatusObservation {
    /// Each serial's kind and status.
    #[serde(with = "bstr::keyed")]
    pub entries: BTreeMap<Vec<u8>, (Kind, CertStatus)>,
    /// Each answered `good` query, oldest first.
    pub usage_log: Vec<UsageEntry>,
    /// Notification events written, oldest first.
    pub outbox: Vec<Notification>,
    /// The last feed sequence applied per certificate (STA-008).
    #[serde(default, with = "bstr::keyed")]
    pub sequences: BTreeMap<Vec<u8>, u64>,
    /// Each certificate's status-list index (STL-001).
    #[serde(default, with = "bstr::keyed")]
    pub list_index: BTreeMap<Vec<u8>, u64>,
}

/// What may be observed of a verifier (`VerifierObservation` in the CDDL).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VerifierObservation {
    /// Each nonce issued: its request, expiry and whether it was consumed.
    #[serde(with = "bstr::keyed")]
    pub nonces: BTreeMap<Nonce, IssuedNonce>,
    /// The last accepted counter per certificate serial.
    #[serde(with = "bstr::keyed")]
    pub counters: BTreeMap<Vec<u8>, u32>,
}

/// One secure-element key as a wallet may show it: never its secret.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyObservation {
    /// The public key, uncompressed SEC1 (65 bytes).
    #[serde(with = "bstr::one")]
    pub public: Vec<u8>,
    /// Signatures made with it so far.
    pub counter: u32,
    /// The installed mobile certificate (DER), once issued.
    #[serde(with = "bstr::option")]
    pub cert: Option<Vec<u8>>,
}

/// What may be observed of a wallet (`DeviceObservation` in the CDDL).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DeviceObservation {
    /// Installed credentials by kind.
    pub installed: BTreeMap<Kind, KeyObservation>,
    /// Keys made for an issuance not yet answered, by kind.
    pub pending: BTreeMap<Kind, KeyObservation>,
}

/// Every role of a world observed at once, plus the suite's cards.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WorldObservation {
    /// The Issuer.
    pub issuer: IssuerObservation,
    /// Status.
    pub status: StatusObservation,
    /// Each verifier by rp id.
    pub verifiers: BTreeMap<String, VerifierObservation>,
    /// Each holder's card (played by the suite).
    pub cards: BTreeMap<String, CardState>,
    /// Each device by name.
    pub devices: BTreeMap<String, DeviceObservation>,
}

impl IssuerState {
    /// This state as the suite may observe it.
    pub fn observe(&self) -> IssuerObservation {
        IssuerObservation {
            sessions: self.sessions.clone(),
            cards: self.cards.clone(),
            certs: self.certs.clone(),
            idempotency: self.idempotency.clone(),
            outbox: self.outbox.clone(),
            wipes: self.wipes.clone(),
            feed_sequence: self.feed_sequence,
        }
    }

    /// The state an observation describes (a fixture loaded by a vector).
    pub fn from_observation(observation: IssuerObservation) -> IssuerState {
        let IssuerObservation { sessions, cards, certs, idempotency, outbox, wipes, feed_sequence } = observation;
        IssuerState { sessions, cards, certs, idempotency, outbox, wipes, feed_sequence }
    }
}

impl StatusState {
    /// This state as the suite may observe it (without the internal record
    /// of scopes notified, which the usage log determines).
    pub fn observe(&self) -> StatusObservation {
        StatusObservation {
            entries: self.entries.clone(),
            usage_log: self.usage_log.clone(),
            outbox: self.outbox.clone(),
            sequences: self.sequences.clone(),
            list_index: self.list_index.clone(),
        }
    }

    /// The state an observation describes: every logged use was notified.
    pub fn from_observation(observation: StatusObservation) -> StatusState {
        let StatusObservation { entries, usage_log, outbox, sequences, list_index } = observation;
        let notified = usage_log.iter().map(|e| (e.rp_id.clone(), e.nonce, e.serial.clone())).collect();
        StatusState { entries, usage_log, outbox, notified, sequences, list_index }
    }
}

impl VerifierState {
    /// This state as the suite may observe it.
    pub fn observe(&self) -> VerifierObservation {
        VerifierObservation { nonces: self.nonces.clone(), counters: self.counters.clone() }
    }

    /// The state an observation describes.
    pub fn from_observation(observation: VerifierObservation) -> VerifierState {
        VerifierState { nonces: observation.nonces, counters: observation.counters }
    }
}

impl DeviceState {
    /// This state as the suite may observe it: public keys, counters and
    /// certificates; the secrets stay in the secure element.
    pub fn observe(&self) -> DeviceObservation {
        let key = |k: &crate::device::SeKey| KeyObservation {
            public: k.key.public.to_sec1_uncompressed().to_vec(),
            counter: k.counter,
            cert: k.cert.clone(),
        };
        DeviceObservation {
            installed: self.installed.iter().map(|(kind, k)| (*kind, key(k))).collect(),
            pending: self.pending.iter().map(|(kind, k)| (*kind, key(k))).collect(),
        }
    }
}

/// Idempotency records as a list of maps (a scope is not a CBOR map key).
mod idempotency_records {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Record {
        endpoint: String,
        #[serde(with = "bstr::one")]
        requester: Vec<u8>,
        #[serde(with = "bstr::one")]
        key: IdempotencyKey,
        #[serde(with = "bstr::one")]
        body_digest: [u8; 32],
        #[serde(with = "bstr::one")]
        answer: Vec<u8>,
        stored_at: UnixTime,
    }

    pub fn serialize<S: serde::Serializer>(
        value: &BTreeMap<IdempotencyScope, StoredAnswer>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(value.iter().map(|((endpoint, requester, key), stored)| Record {
            endpoint: endpoint.clone(),
            requester: requester.clone(),
            key: *key,
            body_digest: stored.body_digest,
            answer: stored.response.clone(),
            stored_at: stored.stored_at,
        }))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<IdempotencyScope, StoredAnswer>, D::Error> {
        Ok(Vec::<Record>::deserialize(deserializer)?
            .into_iter()
            .map(|r| {
                let stored = StoredAnswer { body_digest: r.body_digest, response: r.answer, stored_at: r.stored_at };
                ((r.endpoint, r.requester, r.key), stored)
            })
            .collect())
    }
}
