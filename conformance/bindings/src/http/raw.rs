//! Raw HTTP/1.1 exchanges for the envelope checks: a request written byte
//! by byte (any method, any header, a body cut short or sent slowly) and
//! the answer read back, so that the suite can send what no well-behaved
//! client library would.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// How long a raw exchange waits for an answer.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An answer as read off the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAnswer {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// How the body is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upload {
    /// Whole, right after the head.
    Whole,
    /// The first `n` bytes, then the writing side is closed.
    CutAfter(usize),
    /// The first `n` bytes, then nothing more while the server decides.
    StallAfter(usize),
}

/// One request: `head_lines` (without the request line, `Host` and
/// `Connection`), then the body as `upload` says.
pub fn exchange(
    base: &str,
    method: &str,
    path: &str,
    head_lines: &[String],
    body: &[u8],
    upload: Upload,
) -> Result<RawAnswer, String> {
    let host = base.strip_prefix("http://").ok_or("a raw exchange needs an http:// URL")?.trim_end_matches('/');
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(|e| e.to_string())?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for line in head_lines {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(|e| format!("write: {e}"))?;
    // a server may answer (413, 415 …) before the body, and close: a failed write is not a failure
    let _ = match upload {
        Upload::Whole => stream.write_all(body),
        Upload::CutAfter(n) => {
            let sent = stream.write_all(&body[..n.min(body.len())]);
            let _ = stream.shutdown(Shutdown::Write);
            sent
        }
        Upload::StallAfter(n) => stream.write_all(&body[..n.min(body.len())]),
    };
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // a reset after the answer arrived still leaves the answer readable
        Err(_) if !raw.is_empty() => {}
        Err(e) => return Err(format!("read: {e}")),
    }
    parse(&raw)
}

/// Parses an HTTP/1.1 answer (`Content-Length` or to the end; no chunking).
pub fn parse(raw: &[u8]) -> Result<RawAnswer, String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no answer (the connection closed first)")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "an answer head that is not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(format!("a status line without a status: {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if let Some(length) = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()) {
        body.truncate(length);
    }
    Ok(RawAnswer { status, headers, body })
}
