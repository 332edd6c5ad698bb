//! The Tauri commands, one module per domain. Each command is a few lines: take the state,
//! call one core function, map its error to a `Problem`.
//!
//! Invariants:
//! - [`bindings`] is the one list of commands: it registers them with Tauri (`invoke_handler`)
//!   and it writes their typed TypeScript wrappers, so the two cannot drift.
//! - The wrappers throw the command's `Problem` (no result objects); the UI's `ipc/commands.ts`
//!   turns any other rejection into a `Problem` too.
//! - The constants the UI needs from the model (every `ProblemCode`, the `Field` and `StepName`
//!   labels, every `SigningAlg`, the presets) are written beside the wrappers from the Rust
//!   enums, never copied by hand.

pub mod environments;
pub mod idps;
pub mod platform_test;
pub mod startup;
pub mod sync;
pub mod test_configuration;
pub mod updates;

use std::collections::BTreeMap;

use eca_core::sync::push::PushProgress;
use eca_model::idp::Field;
use eca_model::preset;
use eca_model::problem::ProblemCode;
use eca_model::signing_alg::SigningAlg;
use eca_oidc::login::report::StepName;
use strum::VariantArray;
use tauri_specta::{collect_commands, Builder, ErrorHandlingMode};

/// Every command, the generated wrappers' settings and the constants exported with them.
pub fn bindings() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            idps::list_idps,
            idps::get_idp,
            idps::check_idp,
            idps::save_idp,
            idps::set_idp_enabled,
            idps::delete_idp,
            idps::idp_history,
            idps::discover_issuer,
            idps::fill_from_preset,
            idps::recognise_preset,
            idps::idp_public_key,
            idps::generate_idp_key,
            test_configuration::start_test_login,
            test_configuration::cancel_test_login,
            test_configuration::check_readiness,
            test_configuration::test_history,
            test_configuration::export_test_history,
            sync::get_sync_settings,
            sync::save_sync_settings,
            sync::test_backend_connection,
            sync::sync_plan,
            sync::local_sync_plan,
            sync::idp_impact,
            sync::sync_changes,
            sync::sync_states,
            sync::sync_push,
            sync::retry_failed_changes,
            sync::resolve_conflict,
            environments::list_environments,
            environments::add_environment,
            environments::edit_environment,
            environments::remove_environment,
            environments::use_environment,
            environments::promotion_plan,
            environments::promote,
            platform_test::platform_info,
            platform_test::platform_public_key,
            platform_test::test_on_platform,
            platform_test::cancel_platform_test,
            updates::get_update_settings,
            updates::save_update_settings,
            updates::check_for_updates,
            updates::download_update,
            startup::list_shown,
        ])
        .error_handling(ErrorHandlingMode::Throw)
        // One shape per type: the UI sends back what it was sent.
        .disable_serde_phases()
        .constant("PROBLEM_CODES", ProblemCode::VARIANTS)
        .constant("FIELD_LABELS", labels(Field::VARIANTS, |f| f.label()))
        .constant("STEP_LABELS", labels(StepName::VARIANTS, |s| s.label()))
        .constant("SIGNING_ALGS", SigningAlg::VARIANTS)
        .constant("PRESETS", preset::all())
        // The payloads of the events the core sends (src-tauri/app: *_EVENT).
        .typ::<PushProgress>()
}

/// Each variant, keyed as it serialises, with its label.
fn labels<T: serde::Serialize + Copy>(
    variants: &[T],
    label: impl Fn(T) -> &'static str,
) -> BTreeMap<String, &'static str> {
    let key = |v: T| match serde_json::to_value(v) {
        Ok(serde_json::Value::String(key)) => key,
        other => unreachable!("a unit variant serialises to a string, not {other:?}"),
    };
    variants.iter().map(|&v| (key(v), label(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use specta_typescript::Typescript;
    use std::path::PathBuf;

    /// `make bindings` and `make bindings-check` run this: it writes the wrappers, the types
    /// they use and the constants to `ECA_BINDINGS_FILE` (see .cargo/config.toml).
    #[test]
    fn export_bindings() {
        let file = PathBuf::from(
            std::env::var_os("ECA_BINDINGS_FILE")
                .expect("ECA_BINDINGS_FILE is set by .cargo/config.toml"),
        );
        bindings()
            .export(Typescript::default(), &file)
            .expect("the commands export to TypeScript");
    }
}
