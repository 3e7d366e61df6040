//! `jpki-conformance bench-status-list`: what Status's status lists cost at
//! national size (spec/use.md §5 cites the figures). A list of `entries`
//! certificates with a share of them revoked (and a tenth of that share on
//! hold), drawn by a seeded generator, cut into chunks of
//! `LIST_CHUNK_ENTRIES`; for each share: the compressed size of all chunks,
//! the time to compress and sign them all, the time to publish one change
//! (one entry set, its chunk compressed and signed again), and a reader's
//! time to accept one chunk's token and read an entry. The same run
//! measures the raw ES256 operations, and what one token over the whole
//! list (no chunks) would cost to compress.

use std::time::Instant;

use jpki_reference::constants::LIST_CHUNK_ENTRIES;
use jpki_reference::crypto::CryptoProvider;
use jpki_reference::status_list::{INVALID, STATUS_BITS, SUSPENDED, StatusList, open_chunk, sign_chunk};
use jpki_reference::world::World;

/// One revoked share's figures.
#[derive(Clone, Debug)]
pub struct ListFigures {
    /// Entries revoked, per thousand (a tenth as many more on hold).
    pub per_mille: u64,
    /// Bits per entry.
    pub bits: u8,
    /// The chunks.
    pub chunks: u64,
    /// All chunks' tokens, compressed and signed, in bytes.
    pub total_bytes: u64,
    /// The largest chunk's token, in bytes.
    pub largest_token: usize,
    /// Seconds to compress and sign every chunk.
    pub build_secs: f64,
    /// Milliseconds (median, 99th percentile) to publish one change.
    pub change_ms: (f64, f64),
    /// Milliseconds (median, 99th percentile) for a reader to accept a
    /// chunk's token (signature, chain, bounds, inflation) and read an entry.
    pub lookup_ms: (f64, f64),
}

/// SplitMix64: the synthetic statuses' generator (seeded, so runs compare).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn percentiles(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (crate::bench_store::percentile(&times, 0.5), crate::bench_store::percentile(&times, 0.99))
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Measures one share of `entries` entries: `per_mille` revoked.
pub fn measure(entries: u64, per_mille: u64, bits: u8, samples: usize) -> Result<ListFigures, String> {
    let world = World::new([0x57; 32]).map_err(|e| e.to_string())?;
    let provider: &dyn CryptoProvider = world.provider();
    let signer = world.pki().status_signer.clone();
    let anchor = world.mobile_anchor().clone();
    let now = world.now();
    let chunks = entries.div_ceil(LIST_CHUNK_ENTRIES);
    let mut draw = Draw(per_mille ^ u64::from(bits) << 32);
    let mut lists = Vec::new();
    for _ in 0..chunks {
        let mut list = StatusList::new(bits, LIST_CHUNK_ENTRIES).map_err(|e| e.to_string())?;
        for position in 0..LIST_CHUNK_ENTRIES {
            let roll = draw.next() % 10_000;
            let value = if roll < per_mille * 10 {
                INVALID
            } else if roll < per_mille * 11 && bits > 1 {
                SUSPENDED
            } else {
                continue;
            };
            list.set(position, value).map_err(|e| e.to_string())?;
        }
        lists.push(list);
    }
    let began = Instant::now();
    let mut tokens = Vec::with_capacity(lists.len());
    for (chunk, list) in lists.iter().enumerate() {
        tokens.push(sign_chunk(provider, &signer, chunk as u64, list.clone(), now).map_err(|e| e.to_string())?);
    }
    let build_secs = began.elapsed().as_secs_f64();
    let total_bytes = tokens.iter().map(|t| t.len() as u64).sum();
    let largest_token = tokens.iter().map(Vec::len).max().unwrap_or(0);
    // one change: an entry of a random chunk set, that chunk signed again
    let mut change = Vec::with_capacity(samples);
    for _ in 0..samples {
        let chunk = (draw.next() % chunks) as usize;
        let position = draw.next() % LIST_CHUNK_ENTRIES;
        let started = Instant::now();
        lists[chunk].set(position, INVALID).map_err(|e| e.to_string())?;
        tokens[chunk] =
            sign_chunk(provider, &signer, chunk as u64, lists[chunk].clone(), now).map_err(|e| e.to_string())?;
        change.push(ms(started));
    }
    // a reader: accept one chunk's token, read one entry
    let mut lookup = Vec::with_capacity(samples);
    for _ in 0..samples {
        let chunk = draw.next() % chunks;
        let started = Instant::now();
        let token = open_chunk(provider, &anchor, &tokens[chunk as usize], chunk, now).map_err(|e| e.to_string())?;
        let _ = token.list.get(draw.next() % LIST_CHUNK_ENTRIES);
        lookup.push(ms(started));
    }
    Ok(ListFigures {
        per_mille,
        bits,
        chunks,
        total_bytes,
        largest_token,
        build_secs,
        change_ms: percentiles(change),
        lookup_ms: percentiles(lookup),
    })
}

/// Milliseconds to compress one list of `entries` entries at Status's bits
/// with 1 % revoked: what every change would cost without chunks.
pub fn whole_list_ms(entries: u64) -> Result<f64, String> {
    let mut list = StatusList::new(STATUS_BITS, entries).map_err(|e| e.to_string())?;
    let mut draw = Draw(7);
    for _ in 0..entries / 100 {
        list.set(draw.next() % entries, INVALID).map_err(|e| e.to_string())?;
    }
    let started = Instant::now();
    let encoded = list.encode().map_err(|e| e.to_string())?;
    let took = ms(started);
    std::hint::black_box(encoded);
    Ok(took)
}
