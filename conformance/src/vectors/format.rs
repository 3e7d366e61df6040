//! The vector file format (`vectors/schema.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One vector file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorFile {
    /// `jpki-vectors/3`.
    pub schema: String,
    /// What made the file.
    pub generator: String,
    /// The spec version the file's expectations come from (spec/README.md).
    pub spec_version: String,
    /// The v0 message the tests carry.
    pub message: String,
    /// The role that judges it.
    pub role: String,
    /// How many tests the file holds.
    pub number_of_tests: usize,
    /// The spec's named constants the verdicts assume.
    pub constants: BTreeMap<String, u64>,
    /// Free text for readers.
    pub header: Vec<String>,
    /// Flag name → what the flag means.
    pub notes: BTreeMap<String, Note>,
    /// The groups.
    pub test_groups: Vec<VectorGroup>,
}

/// What a flag means: the bug class and the requirements involved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Note {
    /// The bug class (`EncodingNonDeterministic`, `SignatureMalleability`, …).
    pub bug_type: String,
    /// A sentence for people.
    pub description: String,
    /// Spec requirement ids.
    pub requirements: Vec<String>,
}

/// A group of tests sharing one fixture: the judge's configuration and stored state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorGroup {
    /// The judge's clock (seconds since the epoch).
    pub clock: u64,
    /// The seed the test PKI derives from (spec/certificates.md §6).
    pub pki_seed: String,
    /// Trust anchors, DER hex, by name (`mobile`).
    pub trust_anchors: BTreeMap<String, String>,
    /// The verifier's rp id (verifier files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    /// The nonces the verifier issued, with what it asked (verifier files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issued_nonces: Vec<IssuedNonce>,
    /// The last counter accepted per certificate serial, hex (verifier files).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_counters: BTreeMap<String, u32>,
    /// The device's starting point, a named recipe (device files):
    /// `issued`, `issuance-pending`, `wipe-pending` (vectors/README.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<String>,
    /// When the recipe runs, if earlier than `clock` (device files): the
    /// judge runs `setup` at this time, then moves its clock to `clock`
    /// before the tests (a wallet issued before a root expired, judged after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_clock: Option<u64>,
    /// The judging role's whole stored state as CBOR hex, in the form
    /// `spec/observation.cddl` gives (issuer and status files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<String>,
    /// The tests.
    pub tests: Vec<VectorTest>,
}

/// A nonce the verifier issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuedNonce {
    /// Hex.
    pub nonce: String,
    /// `sign` or `auth`.
    pub kind: String,
    /// The purpose shown to the holder.
    pub purpose: String,
    /// When the request was made.
    pub time: u64,
    /// When the nonce expires.
    pub expiry: u64,
    /// The document digest asked for (`sign`), hex.
    pub document_digest: Option<String>,
    /// Already used by an accepted assertion.
    pub consumed: bool,
}

/// One test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorTest {
    /// Unique within the file.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// The message, hex.
    pub input: String,
    /// Where the judge receives it, when a file mixes messages (issuer
    /// lifecycle: `migrate`, `holder_action`, `device_revocation`, `acknowledge_wipe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// How a judge remakes `input` for the wallet it judges, when the
    /// message must answer that wallet's own random choices (device files):
    /// `withheld` is the message the group's recipe withheld, as the
    /// recipe made it for this wallet (an IssuanceResponse certifying the
    /// keys it made); `withheld-kinds-swapped` is that message with its
    /// two certificates' kinds exchanged. `input` is then the message as
    /// made for the reference wallet of `pkiSeed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derive: Option<String>,
    /// What Status answers the judge's one query (verifier files):
    /// `{"response": hex}`, `{"refused": hex}` (an Error message) or `"unreachable"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusAnswerJson>,
    /// `valid`, `invalid` or `acceptable`.
    pub result: String,
    /// The exact registry code for `invalid`.
    pub code: Option<String>,
    /// Flags (keys of `notes`).
    pub flags: Vec<String>,
}

/// Status's answer in a vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusAnswerJson {
    /// A StatusResponse (hex).
    Response(String),
    /// An Error message (hex).
    Refused(String),
    /// No answer.
    Unreachable,
}
