//! The delivery worker: a thread beside the HTTP server that empties the
//! two outboxes. It sends the StatusFeed messages a crash or an unreachable
//! Status left behind (HTTP-011), and it sends every notification as an
//! e-mail, at least once (NTF-003): an entry is marked delivered only after
//! the mail system accepted it, so a crash between the two sends it again,
//! with the same `Message-ID` (NTF-002).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lettre::Message;

use crate::app::App;
use crate::failpoint;
use crate::mail::{Mailer, Refused, compose};
use crate::store::{Store, outbox};

/// How long the worker rests when both outboxes are empty.
const IDLE: Duration = Duration::from_millis(50);
/// How long it waits after the mail system refused or could not be reached.
const BACKOFF: Duration = Duration::from_millis(500);
/// Entries read per turn.
const BATCH: usize = 100;

/// Who the e-mails come from, and who gets those whose holder has no
/// address on record.
#[derive(Clone, Debug)]
pub struct Senders {
    /// The `From` of every notification.
    pub from: String,
    /// The operator's mailbox: an entry whose holder gave no address (a
    /// Status hosted without its Issuer cannot look one up) goes there
    /// rather than nowhere.
    pub operator: String,
}

impl Default for Senders {
    fn default() -> Self {
        Senders { from: "JPKI mobile <notify@localhost>".into(), operator: "postmaster@localhost".into() }
    }
}

/// Runs the worker until `stop` is set. With `shared`, a connection of its
/// own to a store other instances share, it takes each entry under a row
/// lock ([`deliver_claimed`]); otherwise through the server's own.
pub fn run(app: Arc<App>, mailer: Option<Mailer>, senders: Senders, stop: Arc<AtomicBool>, mut shared: Option<Store>) {
    let mut last_complaint = String::new();
    while !stop.load(Ordering::Relaxed) {
        app.send_feed();
        let rest = match &mailer {
            Some(mailer) => match match shared.as_mut() {
                Some(store) => deliver_claimed(&app, store, mailer, &senders),
                None => deliver_some(&app, mailer, &senders),
            } {
                Ok(0) => IDLE,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    // said once, not every half second while the relay is away
                    if e != last_complaint {
                        eprintln!("jpki-serve: notification delivery: {e} (retrying)");
                        last_complaint = e;
                    }
                    BACKOFF
                }
            },
            None => IDLE,
        };
        std::thread::sleep(rest);
    }
}

/// What became of one entry.
enum Fate {
    /// Accepted (by the holder's mail system, or the operator's).
    Delivered,
    /// Refused for good at both addresses: marked with why, never sent again.
    Undeliverable(String),
    /// Not accepted now: the entry waits, and the ones after it.
    Later(String),
}

/// Hands `message` over, with the failpoints around the acceptance.
fn hand_over(mailer: &Mailer, message: &Message, key: &[u8]) -> Result<(), Refused> {
    failpoint::hit(failpoint::MAIL_BEFORE_SEND);
    mailer.send(message, key)?;
    failpoint::hit(failpoint::MAIL_AFTER_ACCEPT);
    Ok(())
}

/// Sends one entry: to the holder's address; when there is none, it is not
/// an address, or the mail system refuses it for good, to the operator's,
/// saying why. One bad address never holds up the entries after it.
fn deliver_one(mailer: &Mailer, senders: &Senders, entry: &outbox::Pending) -> Fate {
    let key = &entry.note.key;
    let why_not_holder = match entry.to.as_deref() {
        None => "no address on record".to_owned(),
        Some(to) => match compose(&entry.note, &senders.from, to, None) {
            Err(e) => e,
            Ok(message) => match hand_over(mailer, &message, key) {
                Ok(()) => return Fate::Delivered,
                Err(Refused::Transient(e)) => return Fate::Later(e),
                Err(Refused::Permanent(e)) => format!("{to}: {e}"),
            },
        },
    };
    let message = match compose(&entry.note, &senders.from, &senders.operator, Some(&why_not_holder)) {
        Ok(message) => message,
        Err(e) => return Fate::Undeliverable(format!("{why_not_holder}; the operator's address: {e}")),
    };
    match hand_over(mailer, &message, key) {
        Ok(()) => Fate::Delivered,
        Err(Refused::Transient(e)) => Fate::Later(e),
        Err(Refused::Permanent(e)) => Fate::Undeliverable(format!("{why_not_holder}; the operator's address: {e}")),
    }
}

/// Sends up to one batch of waiting notifications; how many it settled
/// (delivered, or marked undeliverable). A mail system that accepts
/// nothing now ends the batch with its reason.
pub fn deliver_some(app: &App, mailer: &Mailer, senders: &Senders) -> Result<usize, String> {
    let batch = app.with_store(|tx| outbox::pending(tx, BATCH)).map_err(|e| e.to_string())?;
    for (settled, entry) in batch.iter().enumerate() {
        let now = app.now();
        match deliver_one(mailer, senders, entry) {
            Fate::Delivered => app.with_store(|tx| outbox::delivered(tx, entry.seq, now)),
            Fate::Undeliverable(why) => {
                eprintln!("jpki-serve: notification {} undeliverable: {why}", entry.seq);
                app.with_store(|tx| outbox::undeliverable(tx, entry.seq, now, &why))
            }
            Fate::Later(e) if settled == 0 => return Err(e),
            Fate::Later(_) => return Ok(settled),
        }
        .map_err(|e| e.to_string())?;
    }
    Ok(batch.len())
}

/// Sends up to one batch of waiting notifications from a store several
/// instances share: each entry in a transaction of its own that locks it
/// (`FOR UPDATE SKIP LOCKED`), so that no two instances send one entry and
/// a crash between the acceptance and the mark releases it to be sent again
/// (NTF-003). How many it settled; a mail system that accepts nothing now
/// ends the batch with its reason.
pub fn deliver_claimed(app: &App, store: &mut Store, mailer: &Mailer, senders: &Senders) -> Result<usize, String> {
    let mut settled = 0;
    while settled < BATCH {
        let now = app.now();
        let fate = store
            .write_locking(|tx| {
                let Some(entry) = outbox::claim_one(tx)? else { return Ok(None) };
                let fate = deliver_one(mailer, senders, &entry);
                match &fate {
                    Fate::Delivered => outbox::delivered(tx, entry.seq, now)?,
                    Fate::Undeliverable(why) => {
                        eprintln!("jpki-serve: notification {} undeliverable: {why}", entry.seq);
                        outbox::undeliverable(tx, entry.seq, now, why)?;
                    }
                    Fate::Later(_) => {}
                }
                Ok(Some(fate))
            })
            .map_err(|e| e.to_string())?;
        match fate {
            None => break,
            Some(Fate::Later(e)) if settled == 0 => return Err(e),
            Some(Fate::Later(_)) => break,
            Some(_) => settled += 1,
        }
    }
    Ok(settled)
}
