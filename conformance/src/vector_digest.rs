//! The vector-set digest: SHA-256 over every committed file under
//! `vectors/` (relative path and contents, in path order), so a report says
//! exactly which vectors it was judged against.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The digest of the vector set under `dir`, as hex.
pub fn digest(dir: &Path) -> std::io::Result<String> {
    let mut all = Vec::new();
    files(dir, &mut all)?;
    all.sort();
    let mut hasher = Sha256::new();
    for path in all {
        let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let contents = std::fs::read(&path)?;
        hasher.update((relative.len() as u64).to_be_bytes());
        hasher.update(relative.as_bytes());
        hasher.update((contents.len() as u64).to_be_bytes());
        hasher.update(&contents);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The digest of the project's own `vectors/` folder.
pub fn project_digest() -> String {
    digest(&crate::external::project_vectors_dir()).unwrap_or_else(|e| format!("unavailable: {e}"))
}
