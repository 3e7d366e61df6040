//! E-mail for the notification outbox (spec/lifecycle.md §4): each entry
//! becomes one message to the holder's notification address, its
//! `Message-ID` derived from the entry's de-duplication key (NTF-002), so a
//! message sent again after a crash carries the same id. Two sinks: plain
//! SMTP to a relay (`lettre`, no TLS: the relay is on the operator's
//! network), or a maildir-style folder, the default of a server with a data
//! folder.

pub mod sink;

use std::path::PathBuf;

use jpki_reference::notify::{Event, Notification};
use lettre::message::header::ContentType;
use lettre::{Message, SmtpTransport, Transport};
use sha2::{Digest, Sha256};

/// The domain of every notification's `Message-ID`.
pub const MESSAGE_ID_DOMAIN: &str = "notify.jpki-mobile.invalid";

/// Where the delivery worker sends notifications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailConfig {
    /// Nowhere: entries stay in the outbox (a server in memory with no sink given).
    Off,
    /// One file per message in `folder/new/`, written through `folder/tmp/`.
    Maildir(PathBuf),
    /// Plain SMTP to `host:port`.
    Smtp(String),
}

/// A notification's `Message-ID` (NTF-002): `<` the lowercase hex SHA-256
/// of its de-duplication key `@notify.jpki-mobile.invalid>`.
pub fn message_id(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{MESSAGE_ID_DOMAIN}>")
}

fn subject(event: Event) -> &'static str {
    match event {
        Event::Issued => "Mobile certificates were issued to your phone",
        Event::Used => "Your mobile certificate was used",
        Event::Migrated => "Your mobile certificates moved to a new phone",
        Event::Revoked => "Mobile certificates were revoked",
        Event::Suspended => "Your mobile certificates are on hold",
        Event::Resumed => "The hold on your mobile certificates was lifted",
        Event::Wiped => "A phone confirmed it deleted your mobile certificates",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The message for `note`, from `from` to `to`; `undelivered` says why it
/// goes to the operator instead of the holder, when it does.
pub fn compose(note: &Notification, from: &str, to: &str, undelivered: Option<&str>) -> Result<Message, String> {
    let mut text = String::new();
    if let Some(why) = undelivered {
        text.push_str(&format!("Not delivered to the holder ({why}); for the operator.\n\n"));
    }
    text.push_str(&format!("{}.\n\nWhen (Unix time): {}\n", subject(note.event), note.time));
    if let Some(rp) = &note.rp_id {
        text.push_str(&format!("Checked by: {rp}\n"));
    }
    for serial in &note.certs {
        text.push_str(&format!("Certificate serial: {}\n", hex(serial)));
    }
    text.push_str("\nIf this was not you, suspend your certificates at once.\n");
    Message::builder()
        .from(from.parse().map_err(|e| format!("sender {from:?}: {e}"))?)
        .to(to.parse().map_err(|e| format!("notification address {to:?}: {e}"))?)
        .message_id(Some(message_id(&note.key)))
        .subject(subject(note.event))
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// Why a message was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// For good (an SMTP 5xx: no such mailbox, a malformed address): sending
    /// it again will not help.
    Permanent(String),
    /// For now (no connection, a 4xx, a full disk): send it again later.
    Transient(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Permanent(why) => write!(f, "refused for good: {why}"),
            Refused::Transient(why) => write!(f, "not accepted now: {why}"),
        }
    }
}

/// A sink opened from a [`MailConfig`].
pub enum Mailer {
    /// See [`MailConfig::Maildir`].
    Maildir(PathBuf),
    /// See [`MailConfig::Smtp`].
    Smtp(SmtpTransport),
}

impl Mailer {
    /// The sink `config` names; `None` for [`MailConfig::Off`].
    pub fn open(config: &MailConfig) -> Result<Option<Mailer>, String> {
        match config {
            MailConfig::Off => Ok(None),
            MailConfig::Maildir(folder) => {
                for sub in ["tmp", "new", "cur"] {
                    std::fs::create_dir_all(folder.join(sub))
                        .map_err(|e| format!("cannot create the mail folder {folder:?}: {e}"))?;
                }
                Ok(Some(Mailer::Maildir(folder.clone())))
            }
            MailConfig::Smtp(address) => {
                let (host, port) = address
                    .rsplit_once(':')
                    .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
                    .ok_or_else(|| format!("SMTP relay {address:?}: give it as host:port"))?;
                let transport = SmtpTransport::builder_dangerous(host)
                    .port(port)
                    .timeout(Some(std::time::Duration::from_secs(10)))
                    .build();
                Ok(Some(Mailer::Smtp(transport)))
            }
        }
    }

    /// Hands `message` over; `Ok` once the sink accepted it (the SMTP
    /// server answered 250 to the data, or the file is in `new/`, flushed).
    pub fn send(&self, message: &Message, key: &[u8]) -> Result<(), Refused> {
        match self {
            Mailer::Smtp(transport) => transport.send(message).map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    Refused::Permanent(format!("SMTP: {e}"))
                } else {
                    Refused::Transient(format!("SMTP: {e}"))
                }
            }),
            Mailer::Maildir(folder) => {
                // one file per key: a message sent again replaces itself
                let name = format!("{}.eml", &message_id(key)[1..65]);
                let staged = folder.join("tmp").join(&name);
                let write = || -> std::io::Result<()> {
                    use std::io::Write;
                    let mut file = std::fs::File::create(&staged)?;
                    file.write_all(&message.formatted())?;
                    file.sync_all()?;
                    std::fs::rename(&staged, folder.join("new").join(&name))?;
                    // the rename itself on disk before the delivered-mark is (NTF-003)
                    std::fs::File::open(folder.join("new"))?.sync_all()
                };
                write().map_err(|e| Refused::Transient(format!("maildir: {e}")))
            }
        }
    }
}
