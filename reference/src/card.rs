//! The Card: the My Number Card's JPKI applet. Two keys, each behind its own
//! secret: the sign password (6-16 upper-case letters and digits, locked
//! after 5 consecutive failures) and the auth PIN (4 digits, locked after 3).
//! A success resets the count; a failure persists (PIN-001 … PIN-003).

use crate::constants::{AUTH_PIN_TRIES, SIGN_PASSWORD_TRIES};
use crate::crypto::CryptoProvider;
use crate::error::{Code, Error, Result};
use crate::pki::Credential;

/// The card's two keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CardKey {
    /// The signature key (sign password).
    Sign,
    /// The user-authentication key (auth PIN).
    Auth,
}

/// What a card holds and never changes: keys, certificates, secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardConfig {
    /// The signature credential.
    pub sign: Credential,
    /// The authentication credential.
    pub auth: Credential,
    sign_password: String,
    auth_pin: String,
}

/// What changes: each secret's consecutive failure count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CardState {
    /// Consecutive wrong sign passwords.
    pub sign_failures: u64,
    /// Consecutive wrong auth PINs.
    pub auth_failures: u64,
}

/// Whether `password` has the sign password's format.
pub fn is_sign_password_format(password: &str) -> bool {
    (6..=16).contains(&password.len()) && password.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether `pin` has the auth PIN's format.
pub fn is_auth_pin_format(pin: &str) -> bool {
    pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit())
}

impl CardConfig {
    /// A card with these credentials and secrets; refuses malformed secrets.
    pub fn new(sign: Credential, auth: Credential, sign_password: &str, auth_pin: &str) -> Result<Self> {
        if !is_sign_password_format(sign_password) || !is_auth_pin_format(auth_pin) {
            return Err(Error::new(Code::Malformed, "sign password or auth PIN of the wrong format"));
        }
        Ok(CardConfig { sign, auth, sign_password: sign_password.into(), auth_pin: auth_pin.into() })
    }

    /// The credential of `key`.
    pub fn credential(&self, key: CardKey) -> &Credential {
        match key {
            CardKey::Sign => &self.sign,
            CardKey::Auth => &self.auth,
        }
    }
}

/// The failure limit of `key`.
pub fn tries(key: CardKey) -> u64 {
    match key {
        CardKey::Sign => SIGN_PASSWORD_TRIES,
        CardKey::Auth => AUTH_PIN_TRIES,
    }
}

/// Verifies `secret` for `key` and signs `message` with it (ES256).
///
/// Returns the new state with the result: a wrong secret moves the failure
/// count by exactly one (PIN-001); at the limit the key is locked and even the
/// right secret is refused without moving anything (PIN-002); a success
/// resets the count (PIN-003).
pub fn sign(
    provider: &dyn CryptoProvider,
    config: &CardConfig,
    state: &CardState,
    key: CardKey,
    secret: &str,
    message: &[u8],
) -> (CardState, Result<[u8; 64]>) {
    let (failures, expected) = match key {
        CardKey::Sign => (state.sign_failures, &config.sign_password),
        CardKey::Auth => (state.auth_failures, &config.auth_pin),
    };
    if failures >= tries(key) {
        return (state.clone(), Err(Error::with_detail(Code::PinLocked, format!("{key:?} key locked"))));
    }
    let mut next = state.clone();
    let counter = match key {
        CardKey::Sign => &mut next.sign_failures,
        CardKey::Auth => &mut next.auth_failures,
    };
    if secret != expected {
        *counter += 1;
        let left = tries(key) - *counter;
        return (next, Err(Error::with_detail(Code::PinWrong, format!("{key:?}: {left} tries left"))));
    }
    *counter = 0;
    let signature = provider.sign_es256(&config.credential(key).key.secret, message);
    match signature {
        Ok(sig) => (next, Ok(sig)),
        Err(e) => (state.clone(), Err(e)),
    }
}
