//! Where a verified update is kept: a file in a folder the admin can see (their Downloads
//! folder), for them to install the way they installed ECA Admin. Nothing here installs.
//!
//! Invariants:
//! - Only bytes whose signature verified are written (the caller's duty: [`save`] takes what
//!   `updates::download_offered` handed on).
//! - The file name comes from the artifact URL, which the manifest's publisher chose: it is cut
//!   to its last path segment and to letters, digits, `.`, `_`, `-` and `+`, never starts with
//!   a dot, and falls back to `eca-admin-<version>.update`. It cannot leave the folder.
//! - A file is never overwritten: an existing name gets ` (1)`, ` (2)`… as a browser does; the
//!   bytes go to a hidden `.part` file first and get the release's name only once written and
//!   synced (see [`claim`]), so a half-written file never carries it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use url::Url;

/// The longest file name kept (before a ` (n)` suffix).
const MAX_NAME: usize = 120;
/// How many ` (n)` suffixes are tried before giving up.
const MAX_SUFFIX: u32 = 99;

/// The file name for the artifact at `url`, release `version`.
pub fn file_name(url: &Url, version: &str) -> String {
    let last = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    let safe = kept(&decoded, MAX_NAME);
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        format!("eca-admin-{}.update", kept(version, 40))
    } else {
        safe.to_string()
    }
}

/// The first `max` of `text`'s characters that a file name here may hold: ASCII letters and
/// digits, `.`, `_`, `-` and `+`.
fn kept(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        .take(max)
        .collect()
}

/// Writes `bytes` as `name` in `dir` (created if missing), or as `name (n)` if that exists.
/// Returns the path written.
pub fn save(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let part = dir.join(format!(".{name}.part"));
    // A leftover (a crash, or a link planted there) is removed, not followed: the part file is
    // always a new one.
    let _ = fs::remove_file(&part);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&part)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = fs::remove_file(&part);
        return Err(e);
    }
    for n in 0..=MAX_SUFFIX {
        let target = dir.join(with_suffix(name, n));
        match claim(&part, &target) {
            Ok(()) => {
                let _ = fs::remove_file(&part);
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let _ = fs::remove_file(&part);
                return Err(e);
            }
        }
    }
    let _ = fs::remove_file(&part);
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{name} and its numbered copies up to ({MAX_SUFFIX}) exist already"),
    ))
}

/// Gives the written `part` the name `target` unless that name is taken (`AlreadyExists`). A
/// hard link fails on a taken name, so nothing is replaced (a rename would replace it); on a
/// file system without hard links (FAT, some network shares) the bytes are copied into a file
/// created only if the name is free, and that file is removed if the copy fails.
fn claim(part: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(part, target) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(target)?;
            let copied =
                io::copy(&mut fs::File::open(part)?, &mut file).and_then(|_| file.sync_all());
            if copied.is_err() {
                let _ = fs::remove_file(target);
            }
            copied
        }
        linked => linked,
    }
}

/// `name`, or `stem (n).ext` for n ≥ 1 (`eca-admin_1.5.0_amd64 (1).deb`).
fn with_suffix(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_name_is_the_urls_last_segment_made_safe() {
        for (artifact, expected) in [
            (
                "https://releases.example/1.5.0/eca-admin_1.5.0_amd64.deb",
                "eca-admin_1.5.0_amd64.deb",
            ),
            (
                "https://releases.example/dl/ECA%20Admin%201.5.0.AppImage?sig=1",
                "ECAAdmin1.5.0.AppImage",
            ),
            ("https://releases.example/a/..%2F..%2F.bashrc", "bashrc"),
            ("https://releases.example/.hidden.deb", "hidden.deb"),
            ("https://releases.example/", "eca-admin-1.5.0.update"),
            ("https://releases.example/%2E%2E", "eca-admin-1.5.0.update"),
        ] {
            assert_eq!(file_name(&url(artifact), "1.5.0"), expected, "{artifact}");
        }
        let long = format!("https://releases.example/{}.deb", "a".repeat(500));
        assert_eq!(file_name(&url(&long), "1.5.0").len(), MAX_NAME);
        assert_eq!(
            file_name(&url("https://releases.example/"), "1.5.0/../../x"),
            "eca-admin-1.5.0....x.update",
            "the version cannot add a path separator either"
        );
    }

    #[test]
    fn a_saved_update_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = save(dir.path(), "eca-admin_1.5.0_amd64.deb", b"one").unwrap();
        let second = save(dir.path(), "eca-admin_1.5.0_amd64.deb", b"two").unwrap();
        let third = save(dir.path(), "noext", b"three").unwrap();
        let fourth = save(dir.path(), "noext", b"four").unwrap();
        assert_eq!(first, dir.path().join("eca-admin_1.5.0_amd64.deb"));
        assert_eq!(second, dir.path().join("eca-admin_1.5.0_amd64 (1).deb"));
        assert_eq!(third, dir.path().join("noext"));
        assert_eq!(fourth, dir.path().join("noext (1)"));
        assert_eq!(fs::read(&first).unwrap(), b"one", "the first is kept");
        assert_eq!(fs::read(&second).unwrap(), b"two");
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "eca-admin_1.5.0_amd64 (1).deb",
                "eca-admin_1.5.0_amd64.deb",
                "noext",
                "noext (1)"
            ],
            "no .part file is left behind"
        );
    }

    /// Across file systems a hard link fails as it does on one without hard links: the bytes
    /// are copied, and still only to a free name. (Needs /dev/shm on another file system than
    /// the temporary folder, as on Linux.)
    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_hard_link_the_bytes_are_copied_to_a_free_name_only() {
        let shm = tempfile::tempdir_in("/dev/shm").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let part = shm.path().join(".x.part");
        fs::write(&part, b"verified").unwrap();
        let target = dir.path().join("x.deb");
        assert_eq!(
            fs::hard_link(&part, &target).unwrap_err().kind(),
            io::ErrorKind::CrossesDevices,
            "the two folders must be on different file systems for this test"
        );
        claim(&part, &target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"verified");
        let taken = claim(&part, &target).unwrap_err();
        assert_eq!(taken.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&target).unwrap(), b"verified", "not replaced");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_as_the_part_file_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep me").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".x.deb.part")).unwrap();
        let saved = save(dir.path(), "x.deb", b"update").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(fs::read(saved).unwrap(), b"update");
    }

    #[test]
    fn a_folder_that_is_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("file-not-folder");
        fs::write(&blocked, b"x").unwrap();
        let error = save(&blocked, "eca-admin.deb", b"bytes").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{error}");
    }
}
