//! Signed reports: the JSON report as the payload of a COSE_Sign1 (ES256)
//! made with the certifier's key, so anyone holding the public key can tell
//! the report was not edited.

use jpki_reference::codec::cose_sign1::{SignOptions, decode_sign1, sign1};
use jpki_reference::codec::{Limits, cose_key};
use jpki_reference::crypto::{CryptoProvider, KeyPair, PublicKey, SeededEntropy, generate_key};
use jpki_reference::{Code, Error, Result};

/// Reports can be large: the signed envelope allows this many bytes.
pub const MAX_SIGNED_REPORT_BYTES: usize = 16 * 1024 * 1024;

fn limits() -> Limits {
    Limits { max_bytes: MAX_SIGNED_REPORT_BYTES, ..Limits::V0 }
}

/// A new signing key from `seed_material` (32 bytes of the caller's randomness).
pub fn generate(provider: &dyn CryptoProvider, seed_material: [u8; 32]) -> Result<KeyPair> {
    let mut entropy = SeededEntropy::new(&seed_material, "report-signing-key");
    generate_key(provider, &mut entropy)
}

/// The secret as the key file holds it: 64 hex digits.
pub fn secret_to_hex(key: &KeyPair) -> String {
    hex::encode(key.secret.to_bytes())
}

/// Reads a key file (64 hex digits) back into a key pair.
pub fn secret_from_hex(provider: &dyn CryptoProvider, text: &str) -> Result<KeyPair> {
    let bytes = hex::decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
    let secret = bytes
        .and_then(|b| provider.secret_key_from_bytes(b))
        .ok_or(Error::new(Code::InvalidKey, "a key file holds a P-256 scalar as 64 hex digits"))?;
    let public = provider.public_key(&secret)?;
    Ok(KeyPair { secret, public })
}

/// The public key file: a COSE_Key.
pub fn public_to_cose(key: &PublicKey) -> Result<Vec<u8>> {
    cose_key::to_bytes(key)
}

/// Signs `report` (the JSON bytes).
pub fn sign_report(provider: &dyn CryptoProvider, key: &KeyPair, report: &[u8]) -> Result<Vec<u8>> {
    sign1(provider, &key.secret, report, &SignOptions::default())
}

/// Verifies a signed report with the COSE_Key `public`; when `report` is
/// given it must be byte-identical to the signed payload. Returns the payload.
pub fn verify_report(
    provider: &dyn CryptoProvider,
    signed: &[u8],
    public: &[u8],
    report: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let key = cose_key::from_bytes(provider, public)?;
    let envelope = decode_sign1(signed, &limits())?;
    envelope.verify(provider, &key, b"")?;
    if let Some(report) = report {
        if report != envelope.payload() {
            return Err(Error::new(Code::BadSignature, "the report differs from what was signed"));
        }
    }
    Ok(envelope.payload().to_vec())
}
