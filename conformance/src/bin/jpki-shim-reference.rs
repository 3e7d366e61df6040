//! The template shim: the reference implementation behind the shim protocol
//! (`conformance/SHIM.md`). Vendors copy its shape; the suite's tests use it
//! to show that the full suite passes through a process boundary.

use std::process::ExitCode;

fn main() -> ExitCode {
    match jpki_conformance::shim::server::serve_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jpki-shim-reference: {e}");
            ExitCode::from(2)
        }
    }
}
