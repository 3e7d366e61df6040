//! `jpki-conformance serve` as a child process on a data folder, for the
//! crash tests and the walkthrough: started, watched (its stderr read line
//! by line, a failpoint's announcement noticed), killed with SIGKILL, and
//! started again on the same folder and port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jpki_server::failpoint::REACHED;

/// A `serve --test-mode` child on a data folder.
pub struct LiveServer {
    child: Arc<Mutex<Child>>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The failpoint it announced, once it did (it was then killed).
    reached: Receiver<String>,
}

impl LiveServer {
    /// Starts `serve` on `data`, listening on `listen`, with `extra` arguments.
    pub fn start(data: &Path, listen: &str, extra: &[&str]) -> LiveServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jpki-conformance"))
            .args(["serve", "--test-mode", "--listen", listen, "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_default().to_owned();
        assert!(url.len() > "http://".len(), "serve said {line:?}");
        let stderr = child.stderr.take().unwrap();
        let child = Arc::new(Mutex::new(child));
        let (tell, reached) = channel();
        let watched = child.clone();
        // at the failpoint's announcement, SIGKILL at once: the server stops
        // exactly there, whatever its other threads were doing
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(name) = line.strip_prefix(REACHED) {
                    let _ = watched.lock().unwrap().kill();
                    let _ = tell.send(name.to_owned());
                }
            }
        });
        LiveServer { child, url: url.trim_end_matches('/').to_owned(), reached }
    }

    /// `host:port` it listens on.
    pub fn listen(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// The failpoint it reached and was killed at, if any so far.
    pub fn reached(&self, wait: Duration) -> Option<String> {
        self.reached.recv_timeout(wait).ok()
    }

    /// Kills it (SIGKILL) and waits for it to be gone.
    pub fn kill(self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `verify-audit` on `data` (or on the PostgreSQL database `store`);
/// its exit status and output.
pub fn verify_audit(data: &Path, store: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jpki-conformance"));
    command.args(["verify-audit", "--data"]).arg(data);
    if let Some(url) = store {
        command.args(["--store", url]);
    }
    let out = command.output().expect("cannot run verify-audit");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A holder's four attributes, for the tests that start worlds on live servers.
pub fn holder() -> jpki_reference::pki::HolderAttributes {
    use jpki_reference::pki::{HolderAttributes, Sex};
    use jpki_reference::time::CivilDate;
    HolderAttributes {
        name: "佐藤 一郎".into(),
        address: "大阪府大阪市北区1-1".into(),
        date_of_birth: CivilDate::new(1985, 5, 5).unwrap(),
        sex: Sex::Male,
    }
}

/// A fresh empty folder under the target directory's tmp.
pub fn fresh_folder(name: &str) -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}
