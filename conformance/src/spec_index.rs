//! The spec's numbered requirements, compiled into the suite so reports can
//! list every requirement, covered or not, with its text.

/// The spec version this suite checks: the one stated at the top of
/// spec/README.md (a test holds the two equal); every report, vector file
/// and trace carries it.
pub const SPEC_VERSION: &str = "0.16";

/// Every chapter of the spec, by file name, in reading order (the order of
/// spec/README.md's table of contents).
pub const SPEC_FILES: [(&str, &str); 14] = [
    ("README.md", include_str!("../../spec/README.md")),
    ("protocol.md", include_str!("../../spec/protocol.md")),
    ("cose.md", include_str!("../../spec/cose.md")),
    ("certificates.md", include_str!("../../spec/certificates.md")),
    ("issuance.md", include_str!("../../spec/issuance.md")),
    ("use.md", include_str!("../../spec/use.md")),
    ("lifecycle.md", include_str!("../../spec/lifecycle.md")),
    ("qualification.md", include_str!("../../spec/qualification.md")),
    ("threat-model.md", include_str!("../../spec/threat-model.md")),
    ("privacy.md", include_str!("../../spec/privacy.md")),
    ("state-machines.md", include_str!("../../spec/state-machines.md")),
    ("errors.md", include_str!("../../spec/errors.md")),
    ("matrix.md", include_str!("../../spec/matrix.md")),
    ("http.md", include_str!("../../spec/http.md")),
];

/// One numbered requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Its id, e.g. `USE-006`.
    pub id: String,
    /// Its text, without the id.
    pub text: String,
    /// Marked untestable in the spec.
    pub untestable: bool,
    /// The spec file that numbers it (`use.md`).
    pub file: &'static str,
}

/// Whether `text` is spelled as a requirement id: an upper-case prefix, a
/// hyphen, three digits (`USE-006`).
pub fn is_requirement_id(text: &str) -> bool {
    text.split_once('-').is_some_and(|(prefix, number)| {
        !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_uppercase())
            && number.len() == 3
            && number.chars().all(|c| c.is_ascii_digit())
    })
}

/// Every requirement, in spec order.
pub fn requirements() -> Vec<Requirement> {
    let mut out = Vec::new();
    for (name, file) in SPEC_FILES {
        for line in file.lines() {
            let Some(rest) = line.strip_prefix("- **") else { continue };
            let Some((id, text)) = rest.split_once("** ") else { continue };
            if is_requirement_id(id) {
                out.push(Requirement {
                    id: id.to_owned(),
                    text: text.to_owned(),
                    untestable: text.contains("*Untestable:*"),
                    file: name,
                });
            }
        }
    }
    out
}
