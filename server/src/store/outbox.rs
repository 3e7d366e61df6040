//! The notification outbox as the delivery worker reads it: the entries
//! not yet delivered, the holder's address each goes to, and the mark set
//! once the mail system accepted one. The entries themselves are written by
//! the Issuer's and Status's steps, in the step's transaction.

use jpki_reference::Result;
use jpki_reference::issuer::CardRecord;
use jpki_reference::notify::Notification;
use rusqlite::{OptionalExtension, Transaction, params};

use super::{decode, fault};

/// One entry waiting for delivery.
pub struct Pending {
    /// Its place in the outbox.
    pub seq: i64,
    /// The entry.
    pub note: Notification,
    /// The holder's notification address, when the records give one.
    pub to: Option<String>,
}

/// Writes `note` to the outbox of `role` in the step's transaction, with
/// the holder's address as the records give it now, the step's own writes
/// applied (a migration's notification goes to the address it gave).
pub fn append(tx: &Transaction<'_>, role: &str, note: &Notification) -> Result<()> {
    let address = match note.certs.first() {
        Some(serial) => address_of(tx, serial)?,
        None => None,
    };
    // '' when the records give none: the operator's, not one added later
    let address = address.unwrap_or_default();
    tx.execute(
        "INSERT INTO outbox (role, body, address) VALUES (?1, ?2, ?3)",
        params![role, super::encode(note)?, address],
    )
    .map_err(fault)?;
    Ok(())
}

/// The oldest `limit` entries not yet delivered, each with its address.
pub fn pending(tx: &Transaction<'_>, limit: usize) -> Result<Vec<Pending>> {
    let rows: Vec<(i64, Vec<u8>, Option<String>)> = {
        let mut query = tx
            .prepare("SELECT seq, body, address FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?1")
            .map_err(fault)?;
        let rows = query.query_map(params![limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(fault)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(fault)?
    };
    let mut out = Vec::with_capacity(rows.len());
    for (seq, body, address) in rows {
        let note: Notification = decode(&body)?;
        // '' : none on record when written; NULL only in a row `load` or an
        // older build wrote: the records' address now
        let to = match (address, note.certs.first()) {
            (Some(address), _) => Some(address).filter(|a| !a.is_empty()),
            (None, Some(serial)) => address_of(tx, serial)?,
            (None, None) => None,
        };
        out.push(Pending { seq, note, to });
    }
    Ok(out)
}

/// The notification address of the holder of certificate `serial` (a
/// mobile certificate the Issuer in this store issued).
fn address_of(tx: &Transaction<'_>, serial: &[u8]) -> Result<Option<String>> {
    let holder: Option<Vec<u8>> = tx
        .query_row("SELECT holder FROM certs WHERE serial = ?1", params![serial], |r| r.get(0))
        .optional()
        .map_err(fault)?;
    let Some(holder) = holder else { return Ok(None) };
    let card: Option<Vec<u8>> = tx
        .query_row("SELECT body FROM cards WHERE holder = ?1", params![holder], |r| r.get(0))
        .optional()
        .map_err(fault)?;
    Ok(card.map(|body| decode::<CardRecord>(&body)).transpose()?.and_then(|card| card.notification_address))
}

/// Marks entry `seq` delivered at `now`.
pub fn delivered(tx: &Transaction<'_>, seq: i64, now: u64) -> Result<()> {
    tx.execute("UPDATE outbox SET delivered_at = ?2 WHERE seq = ?1", params![seq, now as i64]).map_err(fault)?;
    Ok(())
}

/// Marks entry `seq` as never to be delivered, and why (the mail system
/// refused it for good, at the holder's and at the operator's address).
pub fn undeliverable(tx: &Transaction<'_>, seq: i64, now: u64, why: &str) -> Result<()> {
    tx.execute("UPDATE outbox SET delivered_at = ?2, failure = ?3 WHERE seq = ?1", params![seq, now as i64, why])
        .map_err(fault)?;
    Ok(())
}

/// Marks every waiting entry of `role` delivered: the rows the `load`
/// control wrote, a fixture's past, not events to announce.
pub fn loaded(tx: &Transaction<'_>, role: &str) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET delivered_at = 0, failure = 'loaded' WHERE role = ?1 AND delivered_at IS NULL",
        params![role],
    )
    .map_err(fault)?;
    Ok(())
}

/// How many entries wait for delivery.
pub fn waiting(tx: &Transaction<'_>) -> Result<u64> {
    let count: i64 =
        tx.query_row("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL", [], |r| r.get(0)).map_err(fault)?;
    Ok(count as u64)
}
