//! jpki-mobile conformance suite: a registry of checks (vectors, scenarios),
//! each naming the requirements it covers, run against a system under test
//! through the role bindings, with outcomes, reports and built-in mutants.

pub mod bench_mail;
pub mod bench_status;
pub mod bench_status_list;
pub mod bench_store;
pub mod checks;
pub mod coverage;
pub mod diagrams;
pub mod external;
pub mod fuzz_corpus;
pub mod fuzzing;
pub mod html_escape;
pub mod load;
pub mod matrix;
pub mod model_check;
pub mod report;
pub mod runner;
mod selfcheck;
pub mod shim;
pub mod spec_index;
pub mod spec_render;
pub mod unit_tests;
pub mod vector_digest;
pub mod vectors;
pub mod verdict;
pub mod walkthrough;
