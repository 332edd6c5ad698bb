//! The impact warning of `eca idp disable` and `eca idp delete`: which chat flows and Chat Desk
//! extensions use the IdP, asked of the backend through the core ([`Outbox::impact`]), before
//! anything changes.
//!
//! Invariants:
//! - Known usage needs `--yes` to go ahead (as a delete always does); usage that could not be
//!   checked (sync not set up, offline, refused) never stops the command, and is said on stderr
//!   (unless the output is JSON) with why.
//! - Nothing is written before the admin has confirmed.

use crate::error::CliError;
use crate::sync;
use eca_core::sync::impact::{IdpImpact, UsageCheck};
use eca_core::sync::Outbox;
use eca_model::idp::IdpId;
use std::path::PathBuf;

/// What disabling or deleting IdP `id` affects.
pub fn of(dir: Option<PathBuf>, id: IdpId) -> Result<IdpImpact, CliError> {
    let mut outbox: Outbox = sync::open(dir)?;
    let mut found = sync::block_on(outbox.impact(&[id]))?;
    Ok(found.remove(0))
}

/// Goes ahead (`Ok`) when the admin passed `--yes`, or when nothing is known to use the IdP
/// and the action does not always need `--yes`; saying on stderr what it goes ahead despite.
/// Else refuses with `refusal`, the usage, and how to confirm.
pub fn confirm(
    impact: &IdpImpact,
    refusal: &str,
    always_ask: bool,
    yes: bool,
    json: bool,
) -> Result<(), CliError> {
    if !yes && (always_ask || impact.is_used()) {
        return Err(CliError::Usage(format!(
            "{refusal}. {} Pass --yes to confirm.",
            impact.summary
        )));
    }
    let nothing_uses_it =
        matches!(&impact.check, UsageCheck::Checked { usages } if usages.is_empty());
    if !json && !nothing_uses_it {
        crate::output::eprint(&format!("warning: {}", impact.summary));
    }
    Ok(())
}
