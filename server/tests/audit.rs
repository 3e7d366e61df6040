//! The audit log's chain: a walk of an untouched log finds it intact; an
//! edited row, a removed row and a removed newest row are each found, at
//! the row where the chain breaks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jpki_reference::{Code, Error};
use jpki_server::store::audit::{self, Entry, Verdict};
use jpki_server::store::{Store, record_refusal};

fn log_with_five_rows(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("jpki-audit-{}-{name}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).unwrap();
    store
        .write(|tx| {
            for i in 0..5u64 {
                if i % 2 == 0 {
                    let entry = Entry {
                        time: 100 + i,
                        path: "/jpki/v0/issuer/challenge",
                        outcome: "ok",
                        requirement: "",
                        body_digest: &[i as u8; 32],
                    };
                    audit::append(tx, &entry)?;
                } else {
                    let error = Error::new(Code::NonceUnknown, "test");
                    record_refusal(tx, 100 + i, "/jpki/v0/issuer/issue", &error, &[i as u8; 32])?;
                }
            }
            Ok(())
        })
        .unwrap();
    path
}

fn verdict(path: &std::path::Path) -> Verdict {
    Store::open(path).unwrap().write(audit::verify).unwrap()
}

fn tamper(path: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(path).unwrap().execute_batch(sql).unwrap();
}

#[test]
fn an_untouched_log_is_intact() {
    let path = log_with_five_rows("intact");
    assert_eq!(verdict(&path), Verdict::Intact { rows: 5 });
}

#[test]
fn an_edited_row_is_found() {
    let path = log_with_five_rows("edited");
    // a refusal rewritten as a success
    tamper(&path, "UPDATE audit SET outcome = 'ok', requirement = '' WHERE seq = 2");
    assert!(matches!(verdict(&path), Verdict::Broken { seq: 2, .. }), "{:?}", verdict(&path));
}

#[test]
fn a_removed_row_is_found() {
    let path = log_with_five_rows("removed");
    tamper(&path, "DELETE FROM audit WHERE seq = 3");
    assert!(matches!(verdict(&path), Verdict::Broken { seq: 3, .. }), "{:?}", verdict(&path));
    // renumbering the rows after it does not hide it: their links still name the old rows
    let path = log_with_five_rows("renumbered");
    tamper(&path, "DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3");
    assert!(matches!(verdict(&path), Verdict::Broken { seq: 3, .. }), "{:?}", verdict(&path));
}

#[test]
fn a_removed_newest_row_is_found() {
    let path = log_with_five_rows("newest");
    tamper(&path, "DELETE FROM audit WHERE seq = 5");
    assert!(matches!(verdict(&path), Verdict::Broken { seq: 5, .. }), "{:?}", verdict(&path));
}
