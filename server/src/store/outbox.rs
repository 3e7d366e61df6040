//! The notification outbox as the delivery worker reads it: the entries
//! not yet delivered, the holder's address each goes to, and the mark set
//! once the mail system accepted one. The entries themselves are written by
//! the Issuer's and Status's steps, in the step's transaction.

use jpki_reference::Result;
use jpki_reference::issuer::CardRecord;
use jpki_reference::notify::Notification;

use super::{Tx, count, decode};
use crate::args;

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
pub fn append(tx: &Tx<'_>, role: &str, note: &Notification) -> Result<()> {
    let address = match note.certs.first() {
        Some(serial) => address_of(tx, serial)?,
        None => None,
    };
    // '' when the records give none: the operator's, not one added later
    let address = address.unwrap_or_default();
    tx.execute(
        "INSERT INTO outbox (role, body, address) VALUES (?1, ?2, ?3)",
        args![role, super::encode(note)?, address],
    )?;
    Ok(())
}

/// The oldest `limit` entries not yet delivered, each with its address.
pub fn pending(tx: &Tx<'_>, limit: usize) -> Result<Vec<Pending>> {
    let rows = tx.query(
        "SELECT seq, body, address FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?1",
        args![limit],
    )?;
    read_pending(tx, &rows)
}

/// The oldest entry not yet delivered that no other instance is sending,
/// locked until `tx` ends (PostgreSQL's `FOR UPDATE SKIP LOCKED`): the
/// delivery worker of each instance sending on a shared store takes its
/// entries so, one transaction each, and a crash releases the lock.
pub fn claim_one(tx: &Tx<'_>) -> Result<Option<Pending>> {
    let rows = tx.query(
        "SELECT seq, body, address FROM outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED",
        &[],
    )?;
    Ok(read_pending(tx, &rows)?.pop())
}

fn read_pending(tx: &Tx<'_>, rows: &[super::sql::Row]) -> Result<Vec<Pending>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (seq, body, address) = (row.int(0)?, row.bytes(1)?, row.opt_text(2)?);
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
fn address_of(tx: &Tx<'_>, serial: &[u8]) -> Result<Option<String>> {
    let Some(holder) = tx.query_opt("SELECT holder FROM certs WHERE serial = ?1", args![serial])? else {
        return Ok(None);
    };
    let card = tx.query_opt("SELECT body FROM cards WHERE holder = ?1", args![holder.bytes(0)?])?;
    let card = card.map(|row| decode::<CardRecord>(&row.bytes(0)?)).transpose()?;
    Ok(card.and_then(|card| card.notification_address))
}

/// Marks entry `seq` delivered at `now`.
pub fn delivered(tx: &Tx<'_>, seq: i64, now: u64) -> Result<()> {
    tx.execute("UPDATE outbox SET delivered_at = ?2 WHERE seq = ?1", args![seq, now])?;
    Ok(())
}

/// Marks entry `seq` as never to be delivered, and why (the mail system
/// refused it for good, at the holder's and at the operator's address).
pub fn undeliverable(tx: &Tx<'_>, seq: i64, now: u64, why: &str) -> Result<()> {
    tx.execute("UPDATE outbox SET delivered_at = ?2, failure = ?3 WHERE seq = ?1", args![seq, now, why])?;
    Ok(())
}

/// Marks every waiting entry of `role` delivered: the rows the `load`
/// control wrote, a fixture's past, not events to announce.
pub fn loaded(tx: &Tx<'_>, role: &str) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET delivered_at = 0, failure = 'loaded' WHERE role = ?1 AND delivered_at IS NULL",
        args![role],
    )?;
    Ok(())
}

/// How many entries wait for delivery.
pub fn waiting(tx: &Tx<'_>) -> Result<u64> {
    count(tx, "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL", &[])
}
