//! Test-only failpoints: named places around each commit of the server
//! where a crash test stops the process. A server started with
//! `--failpoint NAME` (test mode only) announces on stderr when it reaches
//! `NAME` and then waits there, doing nothing more, for the test to kill it
//! with SIGKILL; every other failpoint, and every failpoint of a server
//! started without one, costs one comparison.

use std::io::Write;
use std::sync::OnceLock;

use jpki_reference::http::Endpoint;

/// The line a server prints on stderr when it reaches its failpoint,
/// followed by the failpoint's name.
pub const REACHED: &str = "failpoint reached: ";

/// Every step writes records (a challenge its session, a use request its
/// nonce, a wipe poll the delivery), so every endpoint has a failpoint just
/// before its transaction commits and one just after, before the answer.
pub const WRITING_STEPS: [Endpoint; 13] = Endpoint::ALL;

/// The failpoint of the card-event control (a revocation linked to the
/// card, REV-009), before its commit.
pub const CARD_EVENT_BEFORE_COMMIT: &str = "before-commit:card-event";
/// The same, after its commit.
pub const CARD_EVENT_AFTER_COMMIT: &str = "after-commit:card-event";
/// Before the delivery worker hands a notification to the mail system.
pub const MAIL_BEFORE_SEND: &str = "mail:before-send";
/// After the mail system accepted a notification, before it is marked
/// delivered: a crash here sends that e-mail twice, with one Message-ID.
pub const MAIL_AFTER_ACCEPT: &str = "mail:after-accept";

/// The failpoint before `step`'s commit.
pub fn before_commit(step: Endpoint) -> String {
    format!("before-commit:{}", step.step())
}

/// The failpoint after `step`'s commit, before its answer.
pub fn after_commit(step: Endpoint) -> String {
    format!("after-commit:{}", step.step())
}

/// Marks the place before (`before` true) or after `step`'s commit; costs
/// one check when no failpoint is armed.
pub fn at_commit(step: Endpoint, before: bool) {
    if ARMED.get().is_some() {
        hit(&if before { before_commit(step) } else { after_commit(step) });
    }
}

/// Every failpoint, in the order the crash tests visit them.
pub fn all() -> Vec<String> {
    let mut names = Vec::new();
    for step in WRITING_STEPS {
        names.push(before_commit(step));
        names.push(after_commit(step));
    }
    names.extend(
        [CARD_EVENT_BEFORE_COMMIT, CARD_EVENT_AFTER_COMMIT, MAIL_BEFORE_SEND, MAIL_AFTER_ACCEPT].map(String::from),
    );
    names
}

static ARMED: OnceLock<String> = OnceLock::new();

/// Arms the failpoint `name` for this process (once; a test-mode server at
/// start). An unknown name is refused, so a typo cannot pass vacuously.
pub fn arm(name: &str) -> Result<(), String> {
    if !all().iter().any(|known| known == name) {
        return Err(format!("no failpoint {name:?}; the failpoints are: {}", all().join(", ")));
    }
    ARMED.set(name.to_owned()).map_err(|_| "a failpoint is already armed".to_owned())
}

/// Marks the place `name`: when it is the armed failpoint, announces it and
/// waits for the kill.
pub fn hit(name: &str) {
    if ARMED.get().is_some_and(|armed| armed == name) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{REACHED}{name}");
        let _ = stderr.flush();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
