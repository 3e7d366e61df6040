//! The reference's integration tests, one binary (one build and one link);
//! each module is one subject.

mod chain_cache;
mod cose;
mod invariants;
mod pki;
mod qualification;
mod spec_ids;
mod strict_cbor;
mod time_range;
mod world_flows;
