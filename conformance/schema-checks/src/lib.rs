//! Schema checks of the suite's own files, kept in a crate of their own so
//! that the heavy validators build only where they run (`.ci/run`):
//!
//! - every vector file against `vectors/schema.json`;
//! - every valid vector's message against its rule in `spec/messages.cddl`;
//! - a report against `conformance/report.schema.json`.
//!
//! Run them with `cargo test -p jpki-schema-checks --features validators`.
//! The library is empty; the checks are the crate's test target.
