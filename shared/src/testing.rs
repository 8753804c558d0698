//! Test helpers that are not adapters: files generated from the code.

use std::path::PathBuf;

/// Checks that a file generated from the code (`path`, from the repository
/// root) is committed as `contents`; with `BLESS=1` writes it instead. The
/// JavaScript checks read these files, so a table changed in Rust but not
/// where it is copied fails one test or the other.
pub fn check_generated(path: &str, contents: &str) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    if std::env::var("BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&file, contents).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == contents,
        "{path} is out of date with the code. Rewrite it with BLESS=1 and the \
         same cargo test command, then fix what its checks (scripts/check-infra.sh) \
         find.\n--- generated ---\n{contents}"
    );
}
