//! Every role's protocol operations against the ECDSA they make, on each
//! provider (BENCHMARKS.md). Run: `cargo bench -p jpki-reference --features ring`.
//!
//! Each operation runs on a role alone (made by `ReferenceSetup` and loaded
//! with a world's observation), not through `World`, whose per-step
//! observation and invariant check are the harness's cost, not the role's.
//! Before timing anything, the binary prints how many signatures,
//! verifications and key derivations each operation makes (a counting
//! provider), so that each median can be set beside the cryptography it
//! needs, measured in the same run. Fixtures derive from seeds.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark binary

#[path = "support/mod.rs"]
mod support;

use support::{Op, Provider};

fn main() {
    support::print_counts();
    divan::main();
}

const PROVIDERS: &[Provider] = Provider::ALL;

#[divan::bench(args = PROVIDERS)]
fn raw_es256_sign(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::RawSign, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn raw_es256_verify(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::RawVerify, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn raw_key_derivation(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::RawKey, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn issuer_issues(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::IssuerIssues, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn wallet_requests_issuance(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::WalletRequestsIssuance, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn wallet_installs(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::WalletInstalls, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn wallet_asserts_auth(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::WalletAssertsAuth, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn wallet_asserts_sign(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::WalletAssertsSign, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn verifier_accepts_auth_warm(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::VerifierAuthWarm, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn verifier_accepts_sign_warm(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::VerifierSignWarm, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn verifier_accepts_auth_cold(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::VerifierAuthCold, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn verifier_accepts_sign_cold(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::VerifierSignCold, *provider);
}

#[divan::bench(args = PROVIDERS)]
fn status_answers(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::StatusAnswers, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn issuer_migrates(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::IssuerMigrates, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn issuer_revokes_for_device(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::IssuerRevokes, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn issuer_takes_report_lost(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::IssuerReportLost, *provider);
}

#[divan::bench(args = PROVIDERS, sample_count = 30)]
fn wallet_applies_wipe(bencher: divan::Bencher, provider: &Provider) {
    support::bench(bencher, Op::WalletWipes, *provider);
}

#[divan::bench(args = support::DECODERS)]
fn strict_decode(bencher: divan::Bencher, message: &&str) {
    support::bench_decoder(bencher, message);
}
