//! The delivery worker: a thread beside the HTTP server that empties the
//! two outboxes. It sends the StatusFeed messages a crash or an unreachable
//! Status left behind (HTTP-011), and it sends every notification as an
//! e-mail, at least once (NTF-003): an entry is marked delivered only after
//! the mail system accepted it, so a crash between the two sends it again,
//! with the same `Message-ID` (NTF-002).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::app::App;
use crate::failpoint;
use crate::mail::{Mailer, compose};
use crate::store::outbox;

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

/// Runs the worker until `stop` is set.
pub fn run(app: Arc<App>, mailer: Option<Mailer>, senders: Senders, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        app.send_feed();
        let rest = match &mailer {
            Some(mailer) => match deliver_some(&app, mailer, &senders) {
                Ok(0) => IDLE,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    eprintln!("jpki-serve: notification delivery: {e} (retrying)");
                    BACKOFF
                }
            },
            None => IDLE,
        };
        std::thread::sleep(rest);
    }
}

/// Sends up to one batch of waiting notifications; how many were sent.
pub fn deliver_some(app: &App, mailer: &Mailer, senders: &Senders) -> Result<usize, String> {
    let batch = app.with_store(|tx| outbox::pending(tx, BATCH)).map_err(|e| e.to_string())?;
    for (sent, entry) in batch.iter().enumerate() {
        let to = entry.to.as_deref().unwrap_or(&senders.operator);
        let message = compose(&entry.note, &senders.from, to)?;
        failpoint::hit(failpoint::MAIL_BEFORE_SEND);
        if let Err(e) = mailer.send(&message, &entry.note.key) {
            return if sent == 0 { Err(e) } else { Ok(sent) };
        }
        failpoint::hit(failpoint::MAIL_AFTER_ACCEPT);
        let now = app.now();
        app.with_store(|tx| outbox::delivered(tx, entry.seq, now)).map_err(|e| e.to_string())?;
    }
    Ok(batch.len())
}
