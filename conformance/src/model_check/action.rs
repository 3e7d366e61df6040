//! What the explored world can do: the honest parties' actions and the
//! attacker's, and the bounds of the exploration.

/// The holder of the explored world.
pub(super) const HOLDER: &str = "h0";
/// Its devices (the bounds say how many take part).
pub(super) const DEVICES: [&str; 3] = ["d0", "d1", "d2"];

/// How far to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The longest action sequence explored.
    pub depth: usize,
    /// At most this many messages in flight at once.
    pub in_flight: usize,
    /// At most this many clock steps (each past the nonce lifetime and the
    /// status freshness).
    pub clock_steps: usize,
    /// How many devices the holder has (1 to 3).
    pub devices: usize,
    /// How many messages the attacker keeps for replay (K); 0 turns the
    /// attacker's replays off (its other actions stay).
    pub memory: usize,
}

impl Default for Bounds {
    /// The default world: two devices, depth 5, two messages in flight, one
    /// clock step, an attacker keeping four messages.
    fn default() -> Self {
        Bounds { depth: 5, in_flight: 2, clock_steps: 1, devices: 2, memory: 4 }
    }
}

/// One action of the explored world: an honest party's, or the attacker's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The holder's card issues both kinds to a device.
    Issue {
        /// Device index.
        device: usize,
    },
    /// The holder's card issues `auth` alone to a device.
    IssueAuth {
        /// Device index.
        device: usize,
    },
    /// Migration path B: the card re-issues on `new`, superseding `old`'s certificates.
    MigrateWithCard {
        /// The device given up.
        old: usize,
        /// The new device.
        new: usize,
    },
    /// Migration path A starts: `old` signs an intent moving what it holds
    /// to `new` (biometrics), put in flight. `old == new` is the attacker's
    /// self-migration.
    StartMigration {
        /// The old device.
        old: usize,
        /// The new device.
        new: usize,
    },
    /// A use starts: the rp asks for `auth`, the device answers with
    /// biometrics; the assertion is in flight.
    StartUse {
        /// The device.
        device: usize,
        /// The verifier (0 gov, 1 shop).
        rp: usize,
    },
    /// A device signs a revocation of its certificates; the request is in flight.
    StartRevocation {
        /// The device.
        device: usize,
    },
    /// The in-flight message at this index reaches its receiver.
    Deliver {
        /// Index into the in-flight list.
        index: usize,
    },
    /// A holder action with the card (0 suspend, 1 resume, 2 report lost).
    Hold {
        /// Which action.
        action: usize,
    },
    /// J-LIS revokes the card's auth certificate.
    CardRevoked,
    /// A device comes online and carries out its queued wipes.
    Online {
        /// The device.
        device: usize,
    },
    /// The clock moves past the nonce lifetime and the status freshness.
    Advance,
    /// Attacker (a modified wallet): path A from `old` naming new keys of
    /// both kinds, whatever `old` holds; in flight.
    MigrateExtraKinds {
        /// The old device.
        old: usize,
        /// The new device.
        new: usize,
    },
    /// Attacker (a thief with the passcode): path A moving what `old`
    /// holds, verified by the passcode; in flight.
    MigrateOnPasscode {
        /// The old device.
        old: usize,
        /// The new device.
        new: usize,
    },
    /// Attacker (a thief with the passcode): a `sign` use at gov verified
    /// by the passcode; the assertion is in flight.
    SignOnPasscode {
        /// The device.
        device: usize,
    },
    /// Attacker (malware on the phone): the wallet is asked for an `auth`
    /// assertion the holder did not verify; the SE must refuse to sign.
    UseWithoutUv {
        /// The device.
        device: usize,
    },
    /// Attacker (a modified wallet): an issuance of both kinds offering one
    /// SE key for both.
    IssueSharedKey {
        /// The device.
        device: usize,
    },
    /// Attacker (the network): the in-flight request (a migration intent or
    /// a revocation, which carry idempotency keys) reaches the Issuer, which
    /// commits, and the answer is lost; the sender retries, so the same
    /// request is back in flight, expecting the first answer.
    DeliverLosingAnswer {
        /// Index into the in-flight list.
        index: usize,
    },
    /// Attacker (the network): the in-flight message is dropped.
    Drop {
        /// Index into the in-flight list.
        index: usize,
    },
    /// Attacker (the network): a message it kept is delivered again to an
    /// endpoint of its type (an assertion to the verifier `rp`).
    Replay {
        /// Index into the attacker's memory.
        known: usize,
        /// The verifier, for an assertion (0 gov, 1 shop); 0 otherwise.
        rp: usize,
    },
    /// Attacker (a rogue verifier): a StatusFeed suspending `device`'s
    /// first certificate, newer than any sent, signed with the gov
    /// verifier's key.
    ForgeFeed {
        /// The device.
        device: usize,
    },
}
