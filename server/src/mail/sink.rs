//! A small SMTP server that keeps what it receives: the tests' and the
//! walkthrough's mail system on loopback. It speaks the part of SMTP
//! (RFC 5321) a relay-bound client uses: EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT; no extensions, no authentication. It is a test tool, not a
//! mail server: it accepts every message from whoever connects and delivers
//! none, so it belongs on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Longest message the sink takes (larger ones are refused with 552).
const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// One message received: its recipients and its data (headers and body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The RCPT TO addresses.
    pub to: Vec<String>,
    /// The message, dot-unstuffed, without the final `.` line.
    pub data: String,
}

impl Received {
    /// The value of header `name` (case-insensitive), if present, its
    /// folded continuation lines (RFC 5322 §2.2.3) joined.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut lines = self.data.lines().take_while(|line| !line.is_empty()).peekable();
        while let Some(line) = lines.next() {
            let Some((key, value)) = line.split_once(':') else { continue };
            if key.eq_ignore_ascii_case(name) {
                let mut value = value.trim().to_owned();
                while let Some(more) = lines.next_if(|next| next.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(more.trim());
                }
                return Some(value);
            }
        }
        None
    }
}

/// A running sink; it stops with the process.
pub struct SmtpSink {
    /// Where it listens.
    pub address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts a sink on a free loopback port.
    pub fn start() -> std::io::Result<SmtpSink> {
        SmtpSink::start_on("127.0.0.1:0")
    }

    /// Starts a sink listening on `address`.
    pub fn start_on(address: &str) -> std::io::Result<SmtpSink> {
        SmtpSink::start_refusing(address, None)
    }

    /// Starts a sink on `address` that refuses for good (550 at `RCPT`) every
    /// recipient whose address contains `refused`: a mailbox that does not
    /// exist, for the tests of what delivery does then.
    pub fn start_refusing(address: &str, refused: Option<&str>) -> std::io::Result<SmtpSink> {
        let refused = refused.map(str::to_owned);
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        std::thread::Builder::new().name(format!("smtp sink {address}")).spawn(move || {
            for stream in listener.incoming().flatten() {
                let (kept, refused) = (kept.clone(), refused.clone());
                std::thread::spawn(move || {
                    let _ = session(stream, &kept, refused.as_deref());
                });
            }
        })?;
        Ok(SmtpSink { address, received })
    }

    /// `host:port`, for `serve --smtp`.
    pub fn relay(&self) -> String {
        self.address.to_string()
    }

    /// Every message received so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

fn session(stream: TcpStream, kept: &Mutex<Vec<Received>>, refused: Option<&str>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    // each reply at once: a small reply held back for the peer's ack costs 40 ms a round
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 jpki-mobile test sink ready\r\n")?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => out.write_all(b"250 jpki-mobile test sink\r\n")?,
            "MAIL" => {
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            "RCPT" => {
                let address = command.split_once(':').map(|(_, a)| a.trim().trim_matches(['<', '>'])).unwrap_or("");
                if refused.is_some_and(|part| address.contains(part)) {
                    out.write_all(b"550 no such mailbox\r\n")?;
                } else {
                    to.push(address.to_owned());
                    out.write_all(b"250 OK\r\n")?;
                }
            }
            "DATA" => {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                let mut data = String::new();
                let mut too_large = false;
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(()); // cut off mid-message: nothing accepted
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    if data.len() + text.len() > MAX_MESSAGE_BYTES {
                        too_large = true;
                        continue;
                    }
                    data.push_str(text.strip_prefix('.').unwrap_or(text));
                    data.push('\n');
                }
                if too_large {
                    out.write_all(b"552 message too large\r\n")?;
                } else {
                    kept.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(Received { to: std::mem::take(&mut to), data });
                    out.write_all(b"250 OK accepted\r\n")?;
                }
            }
            "RSET" => {
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            }
            "NOOP" => out.write_all(b"250 OK\r\n")?,
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 command not implemented\r\n")?,
        }
    }
}
