//! Test support shared by the tests and benchmarks of every crate in the workspace. A
//! dev-dependency only: no product crate depends on it (`tests/layers.rs` checks that).
//!
//! - [`arbitrary`]: hostile inputs for the property tests of the parsers of untrusted input.
//! - [`clock`]: a clock the test moves.
//! - [`fixtures`]: valid IdP configurations to start from.
//! - [`node_server`]: the real OpenID provider (and the other Node helpers of tests/oidc/).
//! - [`glewlwyd`]: a second, independent real OpenID provider (tests/glewlwyd/).
//! - [`keyring`]: the guard of tests that need a real Secret Service.
//! - [`leaks`]: looking for a secret where it must never be (files, database cells).
//! - [`presets`]: the presets with their templates on the loopback quirk providers.
//! - [`mounts`]: tests that mount a full or read-only file system in a private namespace.
//! - [`free_port`]: a loopback port nothing listens on.
//!
//! The reference backend's in-process harness is the backend's own (`eca_backend::harness`,
//! feature `harness`): it needs the backend, which needs nothing from here, so no crate's
//! tests can reach the crate under test through this one.

pub mod arbitrary;
pub mod clock;
pub mod fixtures;
pub mod glewlwyd;
pub mod keyring;
pub mod leaks;
#[cfg(unix)]
pub mod mounts;
pub mod node_server;
pub mod presets;

/// A loopback port that was free a moment ago: nothing listens on it (a URL that is refused at
/// once), or something the test starts there later (a redirect URI registered first).
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    probe.local_addr().expect("a bound port").port()
}
