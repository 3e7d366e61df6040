//! The lifecycle flows through the world: migration (both paths), holder
//! actions through the card, revocation from the device, remote wipe, and
//! card events at J-LIS.

use super::{AUTH_PIN, FlowError, Hop, World, no_such};
use crate::card::{self, CardKey};
use crate::codec::cose_sign1::{SignOptions, sign1_with};
use crate::device::{IssuanceChoice, UserVerification};
use crate::issuer::CardEvent;
use crate::msgs::issuance::IssuanceRequestPayload;
use crate::msgs::lifecycle::{
    DeviceRevocationPayload, HolderAction, HolderActionPayload, MigrationIntentPayload, ReceiptEntry,
};
use crate::msgs::status::{CertStatus, RevocationReason};
use crate::msgs::{IdempotencyKey, Kind, Message, UvMethod};

/// What a lifecycle request carries besides its subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleParams {
    /// The idempotency key.
    pub idempotency_key: IdempotencyKey,
    /// The user was verified on the device.
    pub user_verified: bool,
    /// The auth PIN given to the card (holder actions).
    pub auth_pin: String,
    /// How the user was verified (migration intents).
    pub uv_method: UvMethod,
}

/// What a path-A migration moves: the certificates it replaces and the
/// kinds of the new keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationPlan {
    /// The old certificates given up.
    pub replaces: Vec<Vec<u8>>,
    /// The kinds the new device makes keys for.
    pub kinds: Vec<Kind>,
}

impl LifecycleParams {
    /// The user verification the holder gives the device for this request
    /// (what the payload then states).
    pub fn uv(&self) -> UserVerification {
        UserVerification { verified: self.user_verified, method: self.uv_method }
    }

    /// Verified, the right PIN, a key derived from `tag`.
    pub fn with_key(tag: u8) -> Self {
        LifecycleParams {
            idempotency_key: [tag; 16],
            user_verified: true,
            auth_pin: AUTH_PIN.into(),
            uv_method: UvMethod::Biometric,
        }
    }
}

impl World {
    /// The serials installed on `device`.
    pub fn installed_serials(&self, device: &str) -> crate::Result<Vec<Vec<u8>>> {
        self.devices.get(device).ok_or(no_such("no such device"))?.installed_serials()
    }

    /// Migration path A: `old` (at hand, UV) moves its credentials to `new`.
    pub fn migrate_with_old_device(
        &mut self,
        old: &str,
        new: &str,
        params: &LifecycleParams,
    ) -> Result<Vec<u8>, FlowError> {
        let intent = self.migration_intent(old, new, params)?;
        self.submit_migration(new, &intent)
    }

    /// Migration path A, first half: a challenge, `new` makes and attests
    /// its keys, `old` signs the intent naming them. Returns the intent as
    /// sent; nothing reaches the Issuer yet (explorers deliver it later).
    pub fn migration_intent(&mut self, old: &str, new: &str, params: &LifecycleParams) -> Result<Vec<u8>, FlowError> {
        let replaces = self.installed_serials(old).map_err(|error| FlowError {
            error,
            hop: Hop::MigrationIntent,
            unchanged: true,
        })?;
        let kinds: Vec<Kind> = self.device(old).map(|d| d.installed.keys().copied().collect()).unwrap_or_default();
        self.migration_intent_with(old, new, &MigrationPlan { replaces, kinds }, params)
    }

    /// Migration path A as a holder (or a modified wallet) may shape it:
    /// `new` attests keys of `plan.kinds`, and `old` signs an intent that
    /// replaces `plan.replaces`, whatever they are.
    pub fn migration_intent_with(
        &mut self,
        old: &str,
        new: &str,
        plan: &MigrationPlan,
        params: &LifecycleParams,
    ) -> Result<Vec<u8>, FlowError> {
        let challenge = self.issuance_challenge()?;
        let now = self.now;
        let provider = self.provider;
        // the new device makes and attests its keys
        let payload = self.deliver(Hop::IssuanceChallenge, |w| {
            let choice = IssuanceChoice {
                kinds: plan.kinds.clone(),
                notification_address: "holder@mail.example.jp".into(),
                idempotency_key: params.idempotency_key,
                replaces: Vec::new(),
                qualification: 0,
            };
            w.device_mut(new)?.prepare_issuance(&challenge, &choice, now)
        })?;
        // the old device signs the intent naming them
        let intent = self.deliver(Hop::MigrationIntent, |w| {
            let request = IssuanceRequestPayload::from_bytes(provider, &payload)?;
            let intent = MigrationIntentPayload {
                nonce: request.nonce,
                replaces: plan.replaces.clone(),
                keys: request.keys,
                notification_address: request.notification_address,
                idempotency_key: params.idempotency_key,
                user_verified: params.user_verified,
                uv_method: params.uv_method,
            };
            w.device_mut(old)?.sign_lifecycle(&intent.to_bytes()?, params.uv())
        })?;
        Ok(self.in_flight(Hop::MigrationIntent, intent))
    }

    /// Migration path A, second half: the Issuer commits the intent, Status
    /// is fed, and `new` installs the answer.
    pub fn submit_migration(&mut self, new: &str, intent: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let response = self.deliver(Hop::MigrationIntent, |w| {
            let output = w.issuer.migrate(intent, now)?;
            w.feed(&output)?;
            Ok(output.response)
        })?;
        let response = self.in_flight(Hop::IssuanceResponse, response);
        let now = self.now;
        self.deliver(Hop::IssuanceResponse, |w| w.device_mut(new)?.install(&response, now))?;
        Ok(response)
    }

    /// A holder action through the card's auth key and PIN: report lost,
    /// suspend, resume. Returns the Issuer's receipt.
    pub fn holder_action(
        &mut self,
        holder: &str,
        action: HolderAction,
        params: &LifecycleParams,
    ) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let provider = self.provider;
        let request = self.deliver(Hop::CardSignature, |w| {
            let (config, state) = w.cards.get(holder).ok_or(no_such("no such holder"))?;
            let payload =
                HolderActionPayload { action, time: now, idempotency_key: params.idempotency_key }.to_bytes()?;
            let chain = [config.auth.cert.clone()];
            let mut card_state = state.clone();
            let signed = sign1_with(&payload, &SignOptions { x5chain: &chain, external_aad: b"" }, |tbs| {
                let (next, result) = card::sign(provider, config, &card_state, CardKey::Auth, &params.auth_pin, tbs);
                card_state = next;
                result
            });
            if let Some(entry) = w.cards.get_mut(holder) {
                entry.1 = card_state;
            }
            signed
        })?;
        let request = self.in_flight(Hop::HolderAction, request);
        let receipt = self.deliver(Hop::HolderAction, |w| {
            let output = w.issuer.holder_action(&request, now)?;
            w.feed(&output)?;
            Ok(output.response)
        })?;
        Ok(self.in_flight(Hop::Receipt, receipt))
    }

    /// The device revokes all its certificates: `holder_request`, or
    /// `device_released` before trade-in (then it also deletes them itself).
    /// Returns the Issuer's signed receipt.
    pub fn revoke_from_device(
        &mut self,
        device_name: &str,
        reason: RevocationReason,
        params: &LifecycleParams,
    ) -> Result<Vec<u8>, FlowError> {
        let request = self.device_revocation_request(device_name, reason, params)?;
        self.submit_device_revocation(device_name, &request)
    }

    /// The device signs a revocation of all its certificates; nothing
    /// reaches the Issuer yet (see [`World::submit_device_revocation`]).
    pub fn device_revocation_request(
        &mut self,
        device_name: &str,
        reason: RevocationReason,
        params: &LifecycleParams,
    ) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        self.deliver(Hop::DeviceRevocation, |w| {
            let device = w.device_mut(device_name)?;
            let payload = DeviceRevocationPayload {
                serials: device.installed_serials()?,
                reason,
                time: now,
                idempotency_key: params.idempotency_key,
                user_verified: params.user_verified,
            };
            device.sign_lifecycle(&payload.to_bytes()?, params.uv())
        })
    }

    /// Sends a (possibly repeated) device revocation request to the Issuer;
    /// a released device deletes its credentials once it has the receipt.
    pub fn submit_device_revocation(&mut self, device_name: &str, request: &[u8]) -> Result<Vec<u8>, FlowError> {
        let now = self.now;
        let request = self.in_flight(Hop::DeviceRevocation, request.to_vec());
        let receipt = self.deliver(Hop::DeviceRevocation, |w| {
            let output = w.issuer.device_revocation(&request, now)?;
            w.feed(&output)?;
            let said = crate::receipt::verify_receipt(w.provider, &output.response, &w.mobile_anchor, now)?;
            let released = |e: &ReceiptEntry| {
                matches!(e.status, CertStatus::Revoked { reason: RevocationReason::DeviceReleased, .. })
            };
            if said.entries.iter().any(released) {
                w.device_mut(device_name)?.release();
            }
            Ok(output.response)
        })?;
        Ok(self.in_flight(Hop::Receipt, receipt))
    }

    /// `device_name`'s SE signs `payload` after the holder's verification
    /// `uv` (a lifecycle message the suite shaped itself); nothing is sent.
    pub fn lifecycle_signature(
        &mut self,
        device_name: &str,
        payload: &[u8],
        uv: UserVerification,
    ) -> Result<Vec<u8>, FlowError> {
        self.deliver(Hop::DeviceRevocation, |w| w.device_mut(device_name)?.sign_lifecycle(payload, uv))
    }

    /// Takes a device off the network, or back on (no wipe reaches it while off).
    pub fn set_online(&mut self, device_name: &str, online: bool) {
        self.online.insert(device_name.to_owned(), online);
    }

    /// Whether the device is online (wipe commands reach it).
    pub fn is_online(&self, device_name: &str) -> bool {
        self.online.get(device_name).copied().unwrap_or(false)
    }

    /// The device, if online, fetches its wipe commands, carries them out and
    /// returns signed receipts; returns how many commands it carried out.
    pub fn sync_device(&mut self, device_name: &str) -> Result<usize, FlowError> {
        if !self.online.get(device_name).copied().unwrap_or(false) {
            return Ok(0);
        }
        let now = self.now;
        let commands = self.deliver(Hop::WipeCommand, |w| {
            let digest = w.device_mut(device_name)?.digest()?;
            Ok(w.issuer.deliver_wipes(&digest))
        })?;
        for command in &commands {
            let command = self.in_flight(Hop::WipeCommand, command.clone());
            let receipt = self.deliver(Hop::WipeCommand, |w| w.device_mut(device_name)?.apply_wipe(&command, now))?;
            let receipt = self.in_flight(Hop::WipeReceipt, receipt);
            self.deliver(Hop::WipeReceipt, |w| w.issuer.acknowledge_wipe(&receipt, now))?;
        }
        Ok(commands.len())
    }

    /// Migration path B: the old device is lost; the card authorises
    /// re-issuance on `new` that supersedes `replaces`.
    pub fn migrate_with_card(
        &mut self,
        holder: &str,
        new: &str,
        replaces: Vec<Vec<u8>>,
        tag: u8,
    ) -> Result<Vec<u8>, FlowError> {
        let params = super::IssueParams { replaces, ..super::IssueParams::both(tag) };
        self.issue(holder, new, &params)
    }

    /// A card event at J-LIS: linked revocation of the holder's mobile certificates.
    pub fn card_event(&mut self, holder: &str, event: CardEvent) -> Result<(), FlowError> {
        let now = self.now;
        let provider = self.provider;
        self.deliver(Hop::HolderAction, |w| {
            let card = w.card(holder).ok_or(no_such("no such holder"))?;
            let auth_serial = crate::pki::ParsedCert::parse(provider, &card.auth.cert)?.serial;
            let output = w.issuer.card_event(&auth_serial, event, now)?;
            w.feed(&output)
        })
    }
}
