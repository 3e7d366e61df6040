//! The cells a received message must have: its defect classes crossed with
//! what the CDDL says it carries (signed objects, certificates, times,
//! bound fields). Encoding and repetition targets are the same for every
//! message; the others are derived from `spec/messages.cddl`.

use std::collections::BTreeMap;

use super::cddl::{self, Field, Rule};

/// A defect class of the matrix (issue: encoding, signature, signer and
/// chain, time, binding, repetition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Strict decoding.
    Encoding,
    /// A signature that does not verify.
    Signature,
    /// The signer's certificate and chain.
    Chain,
    /// A time field or a named time bound.
    Time,
    /// A field the message echoes or binds.
    Binding,
    /// The message delivered again, or elsewhere.
    Repetition,
}

impl Class {
    /// Every class, in the matrix's column order.
    pub const ALL: [Class; 6] =
        [Class::Encoding, Class::Signature, Class::Chain, Class::Time, Class::Binding, Class::Repetition];

    /// The class's name in cell keys.
    pub fn name(self) -> &'static str {
        match self {
            Class::Encoding => "encoding",
            Class::Signature => "signature",
            Class::Chain => "chain",
            Class::Time => "time",
            Class::Binding => "binding",
            Class::Repetition => "repetition",
        }
    }
}

/// The strict-decoding defects every message gets (ENC-001 to ENC-013).
pub const ENCODING: [&str; 10] = [
    "truncated",
    "trailing-bytes",
    "indefinite-length",
    "non-shortest",
    "too-deep",
    "too-large",
    "unsorted-keys",
    "duplicate-key",
    "unknown-field",
    "wrong-shape",
];

/// The chain defects every signer certificate gets (PKI-001 to PKI-008;
/// its validity bounds are `time` targets).
pub const CHAIN: [&str; 8] = [
    "wrong-eku",
    "leaf-usage",
    "unknown-critical-extension",
    "duplicate-extension",
    "unknown-anchor",
    "issuer-not-ca",
    "outside-profile",
    "anchor-out-of-validity",
];

/// The repetition defects every message gets.
pub const REPETITION: [&str; 2] = ["twice", "other-endpoint"];

/// CDDL types whose value a message echoes or binds to a session.
const BINDING_TYPES: [&str; 7] =
    ["nonce", "cert-serial", "rp-id", "kind", "sha256", "idempotency-key", "bstr .size 16"];

/// One required cell: its key (`class/target`) and what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The class.
    pub class: Class,
    /// The key, `class/…`, unique within a message.
    pub key: String,
    /// What the target is, for people (the CDDL comment, or the defect).
    pub about: String,
}

/// What a message carries that the matrix crosses with the classes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Carried {
    /// Signed objects (COSE_Sign1) and certificate fields, by name.
    signers: Vec<(String, String)>,
    /// `epoch-time` fields, `Rule.key`.
    times: Vec<(String, String)>,
    /// Echoed or bound fields, `Rule.key`.
    bindings: Vec<(String, String)>,
}

/// Every target of `message` (a rule of `spec/messages.cddl`), and the
/// named time bounds `bounds` its receiver checks beyond its fields.
pub fn targets(rules: &BTreeMap<String, Rule>, message: &str, bounds: &[String]) -> Result<Vec<Target>, String> {
    let mut carried = Carried::default();
    walk(rules, message, message, &mut carried, 0)?;
    let target = |class: Class, key: String, about: String| Target { class, key, about };
    let mut out = Vec::new();
    for defect in ENCODING {
        out.push(target(Class::Encoding, format!("encoding/{defect}"), defect.replace('-', " ")));
    }
    for (signer, about) in &carried.signers {
        out.push(target(Class::Signature, format!("signature/{signer}"), about.clone()));
    }
    for (signer, _) in &carried.signers {
        for defect in CHAIN {
            out.push(target(Class::Chain, format!("chain/{signer}/{defect}"), defect.replace('-', " ")));
        }
    }
    for (signer, _) in &carried.signers {
        for bound in ["not-before", "not-after"] {
            out.push(target(
                Class::Time,
                format!("time/{signer}/{bound}"),
                format!("the signer certificate's {bound}"),
            ));
        }
    }
    for (field, about) in &carried.times {
        out.push(target(Class::Time, format!("time/{field}"), about.clone()));
    }
    for bound in bounds {
        out.push(target(Class::Time, format!("time/{bound}"), format!("the bound {bound}")));
    }
    for (field, about) in &carried.bindings {
        out.push(target(Class::Binding, format!("binding/{field}"), about.clone()));
    }
    for defect in REPETITION {
        out.push(target(Class::Repetition, format!("repetition/{defect}"), defect.replace('-', " ")));
    }
    // two signed objects may share a payload rule (the card's two signatures)
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|t| seen.insert(t.key.clone()));
    Ok(out)
}

/// Walks rule `name` (reached as `label`), collecting what it carries.
fn walk(
    rules: &BTreeMap<String, Rule>,
    name: &str,
    label: &str,
    carried: &mut Carried,
    depth: usize,
) -> Result<(), String> {
    if depth > 6 {
        return Err(format!("{label}: rules nested too deep to derive"));
    }
    let (resolved, rule) = cddl::resolve(rules, name).ok_or(format!("no rule {name} in messages.cddl"))?;
    match rule {
        Rule::Signed { payload } => {
            carried.signers.push((label.to_owned(), format!("the COSE_Sign1 {label} (its x5chain signer)")));
            walk(rules, payload, payload, carried, depth + 1)
        }
        Rule::Map(fields) => {
            for field in fields {
                visit(rules, resolved, field, carried, depth)?;
            }
            Ok(())
        }
        Rule::Alias(_) | Rule::Other => Ok(()),
    }
}

fn visit(
    rules: &BTreeMap<String, Rule>,
    map: &str,
    field: &Field,
    carried: &mut Carried,
    depth: usize,
) -> Result<(), String> {
    let at = format!("{map}.{}", field.key);
    let about = if field.comment.is_empty() { field.ty.clone() } else { format!("{}: {}", field.ty, field.comment) };
    if let Some(inner) = field.ty.strip_prefix("bstr .cbor ") {
        return walk(rules, inner.trim(), inner.trim(), carried, depth + 1);
    }
    let element = cddl::element(&field.ty);
    if element == "cert-chain" || element == "cert" {
        carried.signers.push((at, format!("certificate(s) in {about}")));
    } else if element == "epoch-time" {
        carried.times.push((at, about));
    } else if BINDING_TYPES.contains(&field.ty.as_str()) || BINDING_TYPES.contains(&element) {
        carried.bindings.push((at, about));
    } else if matches!(cddl::resolve(rules, element), Some((_, Rule::Map(_) | Rule::Signed { .. }))) {
        walk(rules, element, element, carried, depth + 1)?;
    }
    Ok(())
}
