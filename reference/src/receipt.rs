//! Checking an Issuer receipt offline, as a shop does at trade-in: only the
//! receipt's bytes and the Issuer's trust anchor are needed (REV-006).

use crate::codec::Limits;
use crate::codec::cose_sign1::decode_sign1;
use crate::crypto::CryptoProvider;
use crate::error::Result;
use crate::msgs::Message;
use crate::msgs::lifecycle::ReceiptPayload;
use crate::pki::{Purpose, TrustAnchor, validate_chain};
use crate::time::UnixTime;

/// Verifies a receipt signed by the Issuer's receipts certificate (chaining
/// to `anchor`, issuer-receipts purpose, valid at `now`) and returns what it says.
pub fn verify_receipt(
    provider: &dyn CryptoProvider,
    receipt: &[u8],
    anchor: &TrustAnchor,
    now: UnixTime,
) -> Result<ReceiptPayload> {
    let signed = decode_sign1(receipt, &Limits::V0)?;
    let issuer = validate_chain(provider, &signed.x5chain()?, anchor, Purpose::IssuerReceipts, now)?;
    signed.verify(provider, &issuer.public_key, b"")?;
    ReceiptPayload::from_bytes(signed.payload())
}
