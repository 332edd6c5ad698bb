//! Build script of the app package: runs tauri-build, which reads `tauri.conf.json`, embeds the
//! icons and resolves the capabilities under `src-tauri/capabilities/` into the ACL.
//!
//! The capabilities folder is not tauri-build's default (`./capabilities`), so this script points
//! at it and tells cargo to re-run when a capability changes.

const CAPABILITIES_DIR: &str = "src-tauri/capabilities";

fn main() {
    println!("cargo:rerun-if-changed={CAPABILITIES_DIR}");
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
