//! Message surgery for check scripts: taking a COSE_Sign1 apart, changing
//! one thing, and signing it again with the key the suite holds; worlds
//! with a holder and a phone; crafted card certificates.

use ciborium::Value;
use jpki_reference::codec::{decode_v0, encode};
use jpki_reference::crypto::{CryptoProvider, SecretKey};
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::Kind;
use jpki_reference::pki::issue_certificate;
use jpki_reference::pki::{CertRole, CertTemplate, HolderAttributes, IssuerRef, NameAttribute, ParsedCert, Sex};
use jpki_reference::time::CivilDate;
use jpki_reference::world::{FlowError, Hop, IssueParams, SHOP_RP, World};

pub(crate) fn attributes() -> HolderAttributes {
    HolderAttributes {
        name: "佐藤 一郎".into(),
        address: "大阪府大阪市北区1-1".into(),
        date_of_birth: CivilDate::new(1980, 4, 1).unwrap(),
        sex: Sex::Male,
    }
}

/// A holder with a card and a phone, nothing issued.
pub(crate) fn fresh() -> World {
    let mut world = super::served::world(0);
    world.add_holder("ichiro", attributes()).unwrap();
    world.add_device("phone");
    world
}

/// The issuance payload edited so that the `sign` key request carries the
/// `auth` key and its attestation: one SE key offered for both kinds.
pub(crate) fn share_one_key(payload: &mut Value) {
    let Value::Array(keys) = field(payload, 2) else { return };
    if keys.len() != 2 {
        return;
    }
    let mut auth = keys[1].clone();
    let (key, attestation) = (field(&mut auth, 2).clone(), field(&mut auth, 3).clone());
    *field(&mut keys[0], 2) = key;
    *field(&mut keys[0], 3) = attestation;
}

/// A holder whose phone, played by the suite (its keys are the suite's),
/// holds both kinds: for forging what a faulty wallet would send.
pub(crate) fn issued_to_suite_phone() -> World {
    let mut world = super::served::world(0);
    world.add_holder("ichiro", attributes()).unwrap();
    world.add_suite_device("phone");
    world.issue("ichiro", "phone", &IssueParams::both(1)).unwrap();
    world
}

/// `signed` with its payload edited by `edit` and signed again by `secret`.
pub(crate) fn resigned_payload(
    provider: &dyn CryptoProvider,
    signed: &[u8],
    secret: &SecretKey,
    edit: impl FnOnce(&mut Value),
) -> Vec<u8> {
    let mut parts = split(signed);
    edit(&mut parts.payload);
    join(provider, &parts, secret)
}

/// A holder whose phone holds both kinds.
pub(crate) fn issued() -> World {
    let mut world = fresh();
    world.issue("ichiro", "phone", &IssueParams::both(1)).unwrap();
    world
}

/// The `kind` key of the phone the suite plays itself (see
/// [`issued_to_suite_phone`]): checks forge only with keys the suite holds.
pub(crate) fn suite_secret(world: &World, kind: Kind) -> SecretKey {
    match world.suite_secret("phone", kind) {
        Some(secret) => secret,
        None => panic!("the check forges with the phone's key, so the suite must play the phone"),
    }
}

pub(crate) fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

// ------------------------------------------------ COSE_Sign1 surgery

/// A COSE_Sign1 taken apart: header maps, decoded payload, signature.
pub(crate) struct Parts {
    pub(crate) protected: Vec<(Value, Value)>,
    pub(crate) unprotected: Vec<(Value, Value)>,
    pub(crate) payload: Value,
    pub(crate) signature: Vec<u8>,
}

pub(crate) fn split(bytes: &[u8]) -> Parts {
    let Value::Tag(18, inner) = decode_v0(bytes).unwrap() else { panic!("not a COSE_Sign1") };
    let Value::Array(items) = *inner else { panic!() };
    let [Value::Bytes(protected), Value::Map(unprotected), Value::Bytes(payload), Value::Bytes(signature)] =
        <[Value; 4]>::try_from(items).unwrap()
    else {
        panic!()
    };
    let Value::Map(protected) = decode_v0(&protected).unwrap() else { panic!() };
    Parts { protected, unprotected, payload: decode_v0(&payload).unwrap(), signature }
}

/// Encodes the parts and signs them afresh with `secret` (protected bucket
/// and payload written deterministically).
pub(crate) fn join(provider: &dyn CryptoProvider, parts: &Parts, secret: &SecretKey) -> Vec<u8> {
    let protected = encode(&Value::Map(parts.protected.clone())).unwrap();
    sign_raw(provider, &protected, &parts.unprotected, &encode(&parts.payload).unwrap(), secret)
}

/// A COSE_Sign1 over `protected` and `payload` bytes exactly as given (they
/// may be non-deterministic), correctly signed with `secret`.
/// `signed` with its x5chain replaced by `cert` and signed again by `secret`.
pub(crate) fn resigned_by(provider: &dyn CryptoProvider, signed: &[u8], secret: &SecretKey, cert: &[u8]) -> Vec<u8> {
    let mut parts = split(signed);
    set(&mut parts.protected, 33, Value::Bytes(cert.to_vec()));
    join(provider, &parts, secret)
}

pub(crate) fn sign_raw(
    provider: &dyn CryptoProvider,
    protected: &[u8],
    unprotected: &[(Value, Value)],
    payload: &[u8],
    secret: &SecretKey,
) -> Vec<u8> {
    sign_raw_over(provider, protected, unprotected, payload, b"", secret)
}

/// [`sign_raw`] with the Sig_structure's external AAD given (v0's is empty,
/// COSE-010): for a signature made over another AAD.
pub(crate) fn sign_raw_over(
    provider: &dyn CryptoProvider,
    protected: &[u8],
    unprotected: &[(Value, Value)],
    payload: &[u8],
    external_aad: &[u8],
    secret: &SecretKey,
) -> Vec<u8> {
    let tbs = encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(external_aad.to_vec()),
        Value::Bytes(payload.to_vec()),
    ]))
    .unwrap();
    let signature = provider.sign_es256(secret, &tbs).unwrap();
    assemble(protected, unprotected, payload, &signature)
}

pub(crate) fn assemble(protected: &[u8], unprotected: &[(Value, Value)], payload: &[u8], signature: &[u8]) -> Vec<u8> {
    encode(&Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(protected.to_vec()),
            Value::Map(unprotected.to_vec()),
            Value::Bytes(payload.to_vec()),
            Value::Bytes(signature.to_vec()),
        ])),
    ))
    .unwrap()
}

pub(crate) fn set(entries: &mut Vec<(Value, Value)>, key: i64, value: Value) {
    entries.retain(|(k, _)| *k != int(key));
    entries.push((int(key), value));
}

pub(crate) fn remove(entries: &mut Vec<(Value, Value)>, key: i64) {
    entries.retain(|(k, _)| *k != int(key));
}

pub(crate) fn field(value: &mut Value, key: i64) -> &mut Value {
    let Value::Map(entries) = value else { panic!("not a map") };
    &mut entries.iter_mut().find(|(k, _)| *k == int(key)).expect("no such field").1
}

/// Re-signs the authentication assertion after `edit`, and verifies it at `rp`.
pub(crate) fn verify_edited_assertion(
    world: &mut World,
    rp: &str,
    edit: impl FnOnce(&mut Parts),
) -> Result<(), FlowError> {
    let request = world.use_request(rp, Kind::Auth, "log in", None).unwrap();
    let assertion = world.assertion("phone", &request, UserVerification::BIOMETRIC).unwrap();
    let mut parts = split(&assertion);
    edit(&mut parts);
    let forged = join(world.provider(), &parts, &suite_secret(world, Kind::Auth));
    world.verify(rp, &forged).map(|_| ())
}

/// Sends the device a UseRequest rewritten by `rewrite` (bytes in, bytes out).
pub(crate) fn device_reads(world: &mut World, rewrite: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Result<Vec<u8>, FlowError> {
    let request = world.use_request(SHOP_RP, Kind::Auth, "log in", None).unwrap();
    world.assertion("phone", &rewrite(request), UserVerification::BIOMETRIC)
}

/// The UseRequest's map entries, re-encoded by ciborium in the order given
/// (ciborium writes what it is given: it neither sorts nor de-duplicates).
pub(crate) fn raw_map(entries: Vec<(Value, Value)>) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(&Value::Map(entries), &mut out).unwrap();
    out
}

pub(crate) fn entries_of(bytes: &[u8]) -> Vec<(Value, Value)> {
    let Value::Map(entries) = decode_v0(bytes).unwrap() else { panic!() };
    entries
}

// ------------------------------------------------ issuance surgery

/// Tampers with the IssuanceRequest: `edit` changes the payload and the
/// card certificates; both parts are re-signed with the card's keys.
pub(crate) fn edit_issuance(
    world: &mut World,
    holder: &str,
    edit: impl Fn(&mut Value, &mut Vec<u8>, &mut Vec<Vec<u8>>) + 'static,
) -> Result<Vec<u8>, FlowError> {
    edit_issuance_on(world, holder, "phone", &IssueParams::both(1), edit)
}

/// As [`edit_issuance`], for `holder`'s issuance on `device` with `params`.
pub(crate) fn edit_issuance_on(
    world: &mut World,
    holder: &str,
    device: &str,
    params: &IssueParams,
    edit: impl Fn(&mut Value, &mut Vec<u8>, &mut Vec<Vec<u8>>) + 'static,
) -> Result<Vec<u8>, FlowError> {
    let card = world.card(holder).unwrap().clone();
    let provider = world.provider();
    world.set_tamper(move |hop, bytes| {
        if hop != Hop::IssuanceRequest {
            return;
        }
        let mut envelope = entries_of(bytes);
        let mut payload = None;
        let mut sign_chain = vec![card.sign.cert.clone()];
        let mut auth_chain = vec![card.auth.cert.clone()];
        for (_, part) in envelope.iter_mut() {
            let Value::Bytes(signed) = part else { panic!() };
            payload = Some(split(signed).payload);
        }
        let mut payload = payload.unwrap();
        edit(&mut payload, &mut sign_chain[0], &mut auth_chain);
        for (key, part) in envelope.iter_mut() {
            let (secret, chain) = if *key == int(1) {
                (&card.sign.key.secret, &sign_chain)
            } else {
                (&card.auth.key.secret, &auth_chain)
            };
            let x5chain = if chain.len() == 1 {
                Value::Bytes(chain[0].clone())
            } else {
                Value::Array(chain.iter().cloned().map(Value::Bytes).collect())
            };
            let parts = Parts {
                protected: vec![(int(1), int(-7)), (int(33), x5chain)],
                unprotected: vec![],
                payload: payload.clone(),
                signature: vec![],
            };
            *part = Value::Bytes(join(provider, &parts, secret));
        }
        *bytes = encode(&Value::Map(envelope)).unwrap();
    });
    let result = world.issue(holder, device, params);
    world.clear_tamper();
    result
}

/// The holder's card auth certificate reissued with the same key, serial and
/// subject, but `role` and `extra` extensions, by `issuer` (card root by default).
pub(crate) fn crafted_auth_cert(
    world: &World,
    holder: &str,
    role: CertRole,
    extra: Vec<(const_oid::ObjectIdentifier, bool, Vec<u8>)>,
    issuer: Option<IssuerRef<'_>>,
) -> Vec<u8> {
    let provider = world.provider();
    let card = world.card(holder).unwrap();
    let original = ParsedCert::parse(provider, &card.auth.cert).unwrap();
    let template = CertTemplate {
        serial: original.serial,
        subject: vec![NameAttribute::common_name(&format!("card-auth {holder}"))],
        not_before: original.not_before,
        not_after: original.not_after,
        public_key: card.auth.key.public.clone(),
        role,
        extra_extensions: extra,
    };
    issue_certificate(provider, &template, issuer.unwrap_or(world.pki().card_root.as_issuer())).unwrap()
}

pub(crate) fn cose_field(key_request: &mut Value, key: i64) -> &mut Value {
    // KeyRequest { 2 => COSE_Key, 3 => chain }: key 3 is the chain; negative keys live in the COSE_Key.
    if key > 0 {
        return field(key_request, key);
    }
    field(field(key_request, 2), key)
}

pub(crate) fn set_key_field(key_request: &mut Value, key: i64, value: Value) {
    *cose_field(key_request, key) = value;
}

/// The COSE_Sign1 `parts` re-signed with `secret` over `protected`, raw
/// bytes sent exactly as given (for non-deterministic headers that are
/// nonetheless correctly signed).
pub(crate) fn sign_with_raw_protected(
    provider: &dyn CryptoProvider,
    parts: &Parts,
    protected: &[u8],
    secret: &SecretKey,
) -> Vec<u8> {
    sign_raw(provider, protected, &parts.unprotected, &encode(&parts.payload).unwrap(), secret)
}

/// A rogue verifier's StatusFeed: `device`'s first certificate suspended,
/// under a sequence number above any the Issuer sent, signed with gov's
/// verifier key instead of the Issuer's (STA-006). `Err` says why none
/// could be made (`no-certificate`, `no-feed`, `no-verifier`, or a code).
pub(crate) fn feed_forged_by_verifier(w: &World, device: &str) -> Result<Vec<u8>, String> {
    use jpki_reference::codec::{Limits, cose_sign1::decode_sign1};
    use jpki_reference::msgs::Message;
    use jpki_reference::msgs::status::{CertStatus, StatusFeed};
    let serial = w.installed_serials(device).ok().and_then(|s| s.first().cloned()).ok_or("no-certificate")?;
    let feeds: Vec<StatusFeed> = w
        .sent_feeds()
        .iter()
        .filter_map(|f| decode_sign1(f, &Limits::V0).ok())
        .filter_map(|signed| StatusFeed::from_bytes(signed.payload()).ok())
        .collect();
    let newest = feeds.iter().map(|f| f.sequence).max().unwrap_or(0);
    let kind = feeds.iter().find(|f| f.serial == serial).map(|f| f.kind).ok_or("no-feed")?;
    let verifier = w.verifier(jpki_reference::world::GOV_RP).ok_or("no-verifier")?.credential.clone();
    let feed = w
        .forge_status_feed(&serial, kind, CertStatus::Suspended, newest + 1)
        .map_err(|e| e.code.as_str().to_owned())?;
    Ok(resigned_by(w.provider(), &feed, &verifier.key.secret, &verifier.cert))
}
