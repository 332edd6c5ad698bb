//! The guard of tests that need the real OS keyring.
//!
//! Invariant: such a test fails (never skips) without a session bus, and says how to run it:
//! `scripts/with-keyring.sh` starts a private D-Bus session with an unlocked gnome-keyring,
//! and `make test` wraps the Rust tests in it.

/// Fails the test unless a D-Bus session (and so, under with-keyring.sh, a Secret Service) is
/// there. `why` says what the test keeps in the keyring.
pub fn require_session_bus(why: &str) {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "{why} in a real Secret Service: run the tests through scripts/with-keyring.sh (e.g. \
         `scripts/with-keyring.sh cargo test -p eca-cli`; make test does)"
    );
}
