//! Injected randomness. The protocol core never reads an OS source; callers
//! pass an [`Entropy`], and fixtures pass a [`SeededEntropy`] so every key,
//! nonce and serial number reproduces from a seed.

use sha2::{Digest, Sha256};

/// A source of random bytes.
pub trait Entropy {
    /// Fills `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]);
}

/// A deterministic byte stream: SHA-256(seed || label || counter) blocks.
///
/// The derivation is fixed by the spec (PKI fixtures) rather than delegated
/// to the crypto provider, so fixtures are identical whatever provider runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededEntropy {
    seed: [u8; 32],
    label: Vec<u8>,
    counter: u64,
    buffer: [u8; 32],
    used: usize,
}

impl SeededEntropy {
    /// A stream for `label` under `seed`; distinct labels give independent streams.
    pub fn new(seed: &[u8; 32], label: &str) -> Self {
        SeededEntropy { seed: *seed, label: label.as_bytes().to_vec(), counter: 0, buffer: [0; 32], used: 32 }
    }

    fn refill(&mut self) {
        let mut hasher = Sha256::new();
        hasher.update(b"jpki-mobile/seeded-entropy/v0");
        hasher.update(self.seed);
        hasher.update((self.label.len() as u64).to_be_bytes());
        hasher.update(&self.label);
        hasher.update(self.counter.to_be_bytes());
        self.buffer.copy_from_slice(&hasher.finalize());
        self.counter += 1;
        self.used = 0;
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        for byte in out.iter_mut() {
            if self.used == self.buffer.len() {
                self.refill();
            }
            *byte = self.buffer[self.used];
            self.used += 1;
        }
    }
}
