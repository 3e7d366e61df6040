//! The spec's numbered requirements, compiled into the suite so reports can
//! list every requirement, covered or not, with its text.

const SPEC_FILES: [&str; 7] = [
    include_str!("../../spec/protocol.md"),
    include_str!("../../spec/cose.md"),
    include_str!("../../spec/certificates.md"),
    include_str!("../../spec/issuance.md"),
    include_str!("../../spec/use.md"),
    include_str!("../../spec/lifecycle.md"),
    include_str!("../../spec/state-machines.md"),
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
}

/// Every requirement, in spec order.
pub fn requirements() -> Vec<Requirement> {
    let mut out = Vec::new();
    for file in SPEC_FILES {
        for line in file.lines() {
            let Some(rest) = line.strip_prefix("- **") else { continue };
            let Some((id, text)) = rest.split_once("** ") else { continue };
            let well_formed = id.split_once('-').is_some_and(|(p, n)| {
                !p.is_empty()
                    && p.chars().all(|c| c.is_ascii_uppercase())
                    && n.len() == 3
                    && n.chars().all(|c| c.is_ascii_digit())
            });
            if well_formed {
                out.push(Requirement {
                    id: id.to_owned(),
                    text: text.to_owned(),
                    untestable: text.contains("*Untestable:*"),
                });
            }
        }
    }
    out
}
