//! Robustness checks: malformed and mutated messages sent to the SUT
//! through its binding. For each valid vector (the base), the SUT's role is
//! set up with the vector's fixture and receives junk: the same group's
//! invalid vectors, and mutations of the base made from the check's seed
//! (bit flips, truncation, appended and spliced bytes, bytes from
//! `arbitrary`). What the model (the reference, fed the same junk) refuses,
//! the SUT must refuse with a registry code and its state as it was; a
//! mutation that is still a well-formed message must be judged as the model
//! judges it. Then the base itself must get the model's verdict, with the
//! same resulting state: the junk left no trace.

use arbitrary::Unstructured;
use jpki_reference::world::World;
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};

use super::comparable::{comparable, difference_breaks, replaced};
use super::context;
use crate::vectors::judge::{deliver, input_for, prepare};
use crate::vectors::{VECTOR_SEED, VectorFile, VectorGroup, VectorTest};

/// Mutations per valid vector (`JPKI_ROBUSTNESS_CASES`, default 16).
pub fn cases() -> usize {
    std::env::var("JPKI_ROBUSTNESS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16)
}

/// A number below `n` (0 when `n` is 0).
fn below(rng: &mut TestRng, n: usize) -> usize {
    if n == 0 { 0 } else { (rng.next_u64() % n as u64) as usize }
}

fn random_bytes(rng: &mut TestRng, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    rng.fill_bytes(&mut out);
    out
}

/// One mutation of `base`, and its name for the failure report.
fn mutate(base: &[u8], rng: &mut TestRng) -> (&'static str, Vec<u8>) {
    let mut out = base.to_vec();
    if out.is_empty() {
        return ("one byte", vec![0xff]);
    }
    match below(rng, 6) {
        0 => {
            for _ in 0..=below(rng, 4) {
                let at = below(rng, out.len());
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << below(rng, 8);
                }
            }
            ("bit flips", out)
        }
        1 => {
            out.truncate(below(rng, base.len()));
            ("truncated", out)
        }
        2 => {
            let n = 1 + below(rng, 8);
            let extra = random_bytes(rng, n);
            out.extend(extra);
            ("bytes appended", out)
        }
        3 => {
            let at = below(rng, out.len());
            let len = below(rng, out.len() - at + 1);
            let junk = random_bytes(rng, len);
            out.splice(at..at + len, junk);
            ("bytes spliced", out)
        }
        4 => {
            let at = below(rng, out.len());
            out[at] = [0x00, 0x17, 0x18, 0x1f, 0x5f, 0x7f, 0x9f, 0xbf, 0xff][below(rng, 9)];
            ("one header byte replaced", out)
        }
        _ => {
            // whatever `arbitrary` makes of random bytes, as a byte string
            let seed = random_bytes(rng, 64);
            let mut u = Unstructured::new(&seed);
            let junk: Vec<u8> = u.arbitrary().unwrap_or_default();
            ("bytes from arbitrary", junk)
        }
    }
}

/// How a message made for the SUT wallet's keys reads in the model's world:
/// each of the SUT's public keys, wherever it appears, is the model's key of
/// the same kind. A wallet judges an issued certificate by the key it
/// certifies (ISS-010), not by the Issuer's signature, so junk cut from a
/// message made for the SUT's keys reaches the model as the same junk cut
/// from one made for its own, byte lengths kept (empty: nothing to translate).
#[derive(Default)]
struct TranslateKeys {
    keys: Vec<(Vec<u8>, Vec<u8>)>,
}

impl TranslateKeys {
    /// Pairs the keys the two IssuanceResponses certify, by kind.
    fn between(for_sut: &[u8], for_model: &[u8], world: &World) -> Result<TranslateKeys, String> {
        use jpki_reference::msgs::Message;
        use jpki_reference::msgs::issuance::IssuanceResponse;
        let read = |bytes: &[u8], whose: &str| {
            IssuanceResponse::from_bytes(bytes).map_err(|e| format!("the IssuanceResponse made for {whose}: {e}"))
        };
        let key = |cert: &[u8]| {
            jpki_reference::pki::ParsedCert::parse(world.provider(), cert)
                .map(|c| c.public_key.to_sec1_uncompressed().to_vec())
                .map_err(|e| format!("an issued certificate: {e}"))
        };
        let (sut, model) = (read(for_sut, "the SUT")?, read(for_model, "the model")?);
        let mut out = TranslateKeys::default();
        for issued in &sut.certs {
            let theirs = model.certs.iter().find(|c| c.kind == issued.kind).ok_or("the kinds differ")?;
            out.keys.push((key(&issued.cert)?, key(&theirs.cert)?));
        }
        Ok(out)
    }

    fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        self.keys.iter().fold(bytes.to_vec(), |out, (from, to)| replaced(&out, from, to))
    }
}

fn world_for_sut() -> World {
    super::served::world_with_seed(VECTOR_SEED)
}

fn model_world() -> Result<World, String> {
    World::new(VECTOR_SEED).map_err(|e| e.to_string())
}

/// The robustness check: its id names the vector file it works from
/// (`robustness::device-use-request` → `vectors/device_use_request.json`).
pub fn run() {
    let id = context::check_id();
    let stem = id.trim_start_matches("robustness::").replace('-', "_");
    run_file(&format!("{stem}.json"));
}

/// Runs the robustness check over one vector file.
pub fn run_file(name: &str) {
    let path = crate::external::project_vectors_dir().join(name);
    let file: VectorFile = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| context::fail("a readable vector file", path.display().to_string()));
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &context::seed());
    let mut sent = 0;
    for group in &file.test_groups {
        for base in group.tests.iter().filter(|t| t.result == "valid") {
            match one_base(&file.role, group, base, &mut rng) {
                Ok(n) => sent += n,
                Err(Broken { requirement, detail, setup }) => {
                    // the rule the junk met (the model's refusal, INV-011 for a moved
                    // state), or the valid vector's own when the good message fared
                    // badly; none when the round could not even be set up
                    let requirement = match setup {
                        true => None,
                        false => requirement.or_else(|| crate::vectors::judge::test_requirement(&file, base)),
                    };
                    let expected = "junk refused with a registry code, the state unchanged, then the good message judged as by the model";
                    let actual = format!("{name} base tcId {}: {detail}", base.tc_id);
                    match requirement {
                        Some(requirement) => context::fail_on(&requirement, expected, actual),
                        None => context::fail(expected, actual),
                    }
                }
            }
        }
    }
    if sent == 0 {
        context::fail("junk sent", format!("{name} has no valid vector to mutate"));
    }
}

/// Why one base vector's round went wrong, and the requirement it breaks
/// (`None`: the valid vector's own), or that it could not be set up (a
/// fixture or recipe the SUT did not reach), which breaks no rule.
struct Broken {
    requirement: Option<String>,
    detail: String,
    setup: bool,
}

impl From<String> for Broken {
    fn from(detail: String) -> Self {
        Broken { requirement: None, detail: format!("set-up: {detail}"), setup: true }
    }
}

fn broke(requirement: Option<&str>, detail: String) -> Broken {
    Broken { requirement: requirement.map(str::to_owned), detail, setup: false }
}

fn one_base(role: &str, group: &VectorGroup, base: &VectorTest, rng: &mut TestRng) -> Result<usize, Broken> {
    let mut sut = world_for_sut();
    let withheld_by_sut = prepare(role, group, &mut sut)?;
    let mut model = model_world()?;
    let withheld_by_model = prepare(role, group, &mut model)?;
    // a derived input answers the SUT's own keys; the model judges the
    // same message made for its keys (see `TranslateKeys`)
    let good = input_for(base, &withheld_by_sut, &sut)?;
    let to_model = if base.derive.is_some() {
        TranslateKeys::between(&withheld_by_sut, &withheld_by_model, &model)?
    } else {
        TranslateKeys::default()
    };
    let mut junk: Vec<(String, Vec<u8>, Vec<u8>)> = group
        .tests
        .iter()
        .filter(|t| t.result == "invalid" && t.endpoint == base.endpoint)
        .map(|t| {
            let name = format!("invalid vector tcId {}", t.tc_id);
            Ok((name, input_for(t, &withheld_by_sut, &sut)?, input_for(t, &withheld_by_model, &model)?))
        })
        .collect::<Result<_, String>>()?;
    for _ in 0..cases() {
        let (kind, bytes) = mutate(&good, rng);
        if bytes != good {
            let for_model = to_model.apply(&bytes);
            junk.push((kind.to_owned(), bytes, for_model));
        }
    }
    // The model sees the same junk: a mutation can still be a well-formed
    // message (a flipped bit in a nonce), which the SUT must then judge as
    // the model does. What the model refuses, the SUT must refuse, with a
    // registry code and its state as before.
    for (kind, bytes, for_model) in &junk {
        let before = sut.observe();
        let expected = deliver(role, group, base, &mut model, for_model, &mut 0)?;
        let actual = deliver(role, group, base, &mut sut, bytes, &mut 0)?;
        let input = hex::encode(bytes);
        match (&expected, &actual) {
            (Err(code), Ok(())) => {
                return Err(broke(Some(code.requirement()), format!("{kind} was accepted: input {input}")));
            }
            (Ok(()), Err(code)) => {
                let detail =
                    format!("{kind} is well-formed and the model accepts it; the SUT refused {code}: input {input}");
                return Err(broke(None, detail));
            }
            (Err(_), Err(_)) if sut.observe() != before => {
                return Err(broke(Some("INV-011"), format!("{kind} was refused but moved the state: input {input}")));
            }
            _ => {}
        }
        let (theirs, ours) = (comparable(&model, role), comparable(&sut, role));
        if ours != theirs {
            let requirement = difference_breaks(&theirs, &ours).or(expected.err().map(|_| "INV-011"));
            return Err(broke(
                requirement,
                format!("after {kind} the SUT's state differs from the model's: input {input}"),
            ));
        }
    }
    // the good message, as if the junk never came
    let for_model = input_for(base, &withheld_by_model, &model)?;
    let expected = deliver(role, group, base, &mut model, &for_model, &mut 0)?;
    let actual = deliver(role, group, base, &mut sut, &good, &mut 0)?;
    if actual != expected {
        let requirement = expected.err().map(|code| code.requirement());
        return Err(broke(
            requirement,
            format!("after the junk the good message got {actual:?}; the model answers {expected:?}"),
        ));
    }
    let (theirs, ours) = (comparable(&model, role), comparable(&sut, role));
    if ours != theirs {
        let detail = "after the junk and the good message the SUT's state differs from the model's".into();
        return Err(broke(difference_breaks(&theirs, &ours), detail));
    }
    Ok(junk.len())
}
