//! Build script of the bare app: tauri-build reads tauri.conf.json and embeds the icons.

fn main() {
    tauri_build::build();
}
