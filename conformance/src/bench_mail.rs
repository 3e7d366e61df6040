//! `jpki-conformance bench-mail`: how fast the reference server's delivery
//! worker empties a full notification outbox, end to end (read the entry,
//! build the e-mail, hand it over, mark it delivered in its own durable
//! transaction), to an SMTP server on loopback and to a maildir folder.

use std::path::Path;
use std::time::{Duration, Instant};

use jpki_reference::notify::{Event, Notification};
use jpki_server::mail::MailConfig;
use jpki_server::mail::sink::SmtpSink;
use jpki_server::store::{Store, outbox};
use jpki_server::{ServeConfig, start};

/// One measurement: events delivered and how long they took.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    /// Notifications delivered.
    pub events: usize,
    /// Seconds from the server's start until the last was accepted.
    pub secs: f64,
}

impl Rate {
    /// Events per second.
    pub fn per_second(&self) -> f64 {
        self.events as f64 / self.secs.max(1e-9)
    }
}

/// A store in `folder` whose outbox holds `events` "used" notifications.
fn full_outbox(folder: &Path, events: usize) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(folder);
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut store = Store::open(&folder.join("jpki.sqlite3")).map_err(|e| e.to_string())?;
    store
        .write(|tx| {
            for n in 0..events {
                let note = Notification {
                    event: Event::Used,
                    certs: vec![vec![0x40, (n >> 8) as u8, n as u8]],
                    rp_id: Some("shop.example.jp".into()),
                    time: 1_900_000_000 + n as u64,
                    key: format!("used:bench{n}").into_bytes(),
                };
                outbox::append(tx, "status", &note)?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
}

/// Delivers `events` notifications through `mail`; `delivered` says how
/// many arrived so far.
fn measure(folder: &Path, events: usize, mail: MailConfig, delivered: &dyn Fn() -> usize) -> Result<Rate, String> {
    full_outbox(folder, events)?;
    let started = Instant::now();
    let server = start(ServeConfig { data: Some(folder.to_path_buf()), mail, ..ServeConfig::for_tests() })?;
    let deadline = started + Duration::from_secs(600);
    while delivered() < events {
        if Instant::now() > deadline {
            return Err(format!("only {} of {events} delivered in 600 s", delivered()));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let secs = started.elapsed().as_secs_f64();
    server.stop();
    Ok(Rate { events, secs })
}

/// The rate to an SMTP server on loopback (the suite's sink), then to a maildir folder.
pub fn rates(events: usize, folder: &Path) -> Result<(Rate, Rate), String> {
    let sink = SmtpSink::start().map_err(|e| e.to_string())?;
    let smtp = measure(&folder.join("smtp"), events, MailConfig::Smtp(sink.relay()), &|| sink.received().len())?;
    let maildir = folder.join("maildir").join("mail");
    let new = maildir.join("new");
    let count = move || std::fs::read_dir(&new).map_or(0, |entries| entries.count());
    let files = measure(&folder.join("maildir"), events, MailConfig::Maildir(maildir.clone()), &count)?;
    Ok((smtp, files))
}
