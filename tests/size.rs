//! The binary that installers download stays small: stripped, at most 1 MiB.

/// The limit from the contract's targets (x86_64 Linux, stripped release build).
const MAX_BYTES: u64 = 1024 * 1024;

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "sizes are of the release build: cargo test --release"
)]
fn the_release_binary_is_stripped_and_at_most_1_mib() {
    let path = env!("CARGO_BIN_EXE_eula-gate");
    let bytes = std::fs::read(path).expect("read the binary");
    let size = bytes.len() as u64;
    assert!(
        size <= MAX_BYTES,
        "{path} is {size} bytes, over the {MAX_BYTES}-byte limit"
    );
    assert!(
        !bytes.windows(8).any(|w| w == b".symtab\0"),
        "{path} is not stripped"
    );
}
