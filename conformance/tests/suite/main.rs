//! The conformance crate's integration tests, one binary (one build, one link,
//! and every test on one thread pool); each module is one subject.

mod annex_d;
mod browser;
mod cli;
mod crash;
mod diagrams;
mod external_vectors;
mod fuzz_regressions;
mod http;
mod judge;
mod live;
mod matrix;
mod model_check;
mod postgres;
mod property;
mod providers;
mod reports;
mod robustness;
mod runner;
mod shim;
mod snapshots;
mod vectors;
mod vendor_ci;
mod walkthrough;
