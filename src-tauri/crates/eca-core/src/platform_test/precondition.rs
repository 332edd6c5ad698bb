//! The precondition of a test on the platform: the IdP was pushed and has not changed here
//! since. Otherwise the platform would test another configuration than this computer's, and
//! its result would say nothing about what the admin sees.
//!
//! Invariant: pure, from the IdP's sync state alone (is there a base, which outbox changes are
//! left), the same data the list's sync badge comes from.

use crate::store::sync_changes::ChangeState;

/// Why the IdP cannot be tested on the platform yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotPushed {
    /// The backend never acknowledged it.
    Never,
    /// It changed here since the last push.
    Changed,
    /// The backend's copy changed too: keep mine or take theirs first.
    Conflict,
    /// The backend refused its last change.
    Refused,
}

impl NotPushed {
    /// What to tell the admin, naming the IdP.
    pub fn message(self, name: &str) -> String {
        match self {
            NotPushed::Never => format!(
                "\"{name}\" was never pushed, so the platform does not have it. Push first, then \
                 test on the platform."
            ),
            NotPushed::Changed => format!(
                "\"{name}\" changed here since it was last pushed: the platform would test the \
                 old configuration. Push first, then test on the platform."
            ),
            NotPushed::Conflict => format!(
                "\"{name}\" is in conflict with the backend's copy. Resolve it in Pending changes \
                 (keep mine or take theirs) and push, then test on the platform."
            ),
            NotPushed::Refused => format!(
                "The backend refused the last change of \"{name}\". Fix it, retry it in Pending \
                 changes and push, then test on the platform."
            ),
        }
    }
}

/// Whether the IdP can be tested on the platform: `synced` says the backend acknowledged it
/// once (a base exists), `changes` are the states of its outbox changes.
pub fn check(synced: bool, changes: &[ChangeState]) -> Result<(), NotPushed> {
    let has = |state| changes.contains(&state);
    if has(ChangeState::Conflict) {
        Err(NotPushed::Conflict)
    } else if has(ChangeState::Failed) {
        Err(NotPushed::Refused)
    } else if !synced {
        Err(NotPushed::Never)
    } else if has(ChangeState::Pending) {
        Err(NotPushed::Changed)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeState::*;

    #[test]
    fn only_a_pushed_and_unchanged_idp_can_be_tested() {
        assert_eq!(check(true, &[]), Ok(()));
        assert_eq!(check(false, &[]), Err(NotPushed::Never));
        assert_eq!(
            check(false, &[Pending]),
            Err(NotPushed::Never),
            "created here only"
        );
        assert_eq!(check(true, &[Pending]), Err(NotPushed::Changed));
    }

    #[test]
    fn what_needs_the_admin_first_wins() {
        assert_eq!(check(true, &[Pending, Conflict]), Err(NotPushed::Conflict));
        assert_eq!(check(true, &[Failed, Pending]), Err(NotPushed::Refused));
        assert_eq!(check(false, &[Failed]), Err(NotPushed::Refused));
    }

    #[test]
    fn every_message_names_the_idp_and_what_to_do() {
        for why in [
            NotPushed::Never,
            NotPushed::Changed,
            NotPushed::Conflict,
            NotPushed::Refused,
        ] {
            let m = why.message("Acme");
            assert!(m.contains("\"Acme\""), "{m}");
            assert!(m.contains("push"), "{why:?} says to push: {m}");
        }
    }
}
