//! The `eca idp` commands: each parses its flags, calls one core operation, and prints.
//!
//! Invariants:
//! - All rules live in the core ([`Catalog`], [`transfer`], [`discovery`]); the CLI calls the
//!   same functions the app's commands do, on the same database file.
//! - Nothing is written when the input is refused: the core validates before it writes, and
//!   the CLI reads all of its input (stdin, files, discovery) before it saves.

use crate::cli::{AddArgs, Command, EditArgs, FieldArgs, IdpCommand};
use crate::env;
use crate::error::CliError;
use crate::fields::{fill_from_discovery, Clears};
use crate::idp_test;
use crate::impact;
use crate::output::{self, print};
use crate::platform_test;
use crate::public_keys;
use crate::secret_input;
use crate::sync;
use eca_core::catalog::{Catalog, CatalogError, SaveIdpRequest, SecretChange};
use eca_core::secrets::OsKeyring;
use eca_core::{data_dir, transfer};
use eca_model::clock::SystemClock;
use eca_model::idp::{Field, FieldError, IdpConfig, IdpFields, IdpId, Protocol};
use eca_model::preset::{self, PresetFill};
use eca_model::validation;
use eca_oidc::discovery::{self, DiscoveryInfo};
use eca_oidc::http;
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn run(command: Command, dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let command = match command {
        Command::Idp(command) => command,
        Command::Backend(command) => return sync::backend(command, dir, json),
        Command::Sync(command) => return sync::sync(command, dir, json),
        Command::Env(command) => return env::env(command, dir, json),
    };
    match command {
        IdpCommand::Presets => print(&output::presets(preset::all(), json)),
        IdpCommand::List => print(&output::summaries(&open(dir)?.list()?, json)),
        IdpCommand::Show {
            idp,
            public_jwk: false,
        } => print(&output::idp(&open(dir)?.find(&idp)?, json)),
        IdpCommand::Show {
            idp,
            public_jwk: true,
        } => show_public_jwk(dir, &idp),
        IdpCommand::Add(args) => add(dir, args, json),
        IdpCommand::Edit(args) => edit(dir, args, json),
        IdpCommand::Enable { idp } => set_enabled(dir, &idp, true, false, json),
        IdpCommand::Disable { idp, yes } => set_enabled(dir, &idp, false, yes, json),
        IdpCommand::Delete { idp, yes } => delete(dir, &idp, yes, json),
        IdpCommand::Export { output } => export(dir, output.as_deref(), json),
        IdpCommand::Import { file } => import(dir, &file, json),
        IdpCommand::Test {
            idp,
            timeout,
            via_platform: true,
            phone,
        } => {
            let (catalog, outbox) = (open(dir.clone())?, sync::open(dir)?);
            verdict(platform_test::test(
                catalog, outbox, &idp, phone, timeout, json,
            )?)
        }
        IdpCommand::Test { idp, timeout, .. } => {
            verdict(idp_test::test(open(dir)?, &idp, timeout, json)?)
        }
        IdpCommand::Check { idp } => verdict(idp_test::check(open(dir)?, &idp, json)?),
    }
}

/// A test or check that ran but did not pass: its report is printed; only the status says so.
fn verdict(passed: bool) -> Result<(), CliError> {
    if passed {
        Ok(())
    } else {
        Err(CliError::NotPassed)
    }
}

fn open(dir: Option<PathBuf>) -> Result<Catalog, CliError> {
    let dir = data_dir::resolve(dir)?;
    Ok(Catalog::open(
        &dir,
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )?)
}

fn add(dir: Option<PathBuf>, args: AddArgs, json: bool) -> Result<(), CliError> {
    let secret = secret_change(&args.fields, false)?;
    let mut fields = IdpFields::blank(args.fields.protocol.unwrap_or(Protocol::Oidc));
    let filled = match &args.preset {
        Some(id) => Some(preset::fill(
            id,
            &args.preset_params.iter().cloned().collect(),
        )?),
        None => None,
    };
    if let Some(filled) = &filled {
        filled.apply(&mut fields);
    }
    fields.enabled = !args.disabled;
    args.fields.apply(&mut fields, Clears::default());
    let mut catalog = open(dir)?;
    discover_missing(&args.fields, filled.as_ref(), &mut fields)?;
    save(&mut catalog, None, fields, secret, json)
}

fn edit(dir: Option<PathBuf>, args: EditArgs, json: bool) -> Result<(), CliError> {
    let clears = Clears {
        params: args.clear_params,
        redirect_uris: args.clear_redirect_uris,
        claim_mapping: args.clear_claim_map,
        id_token_signing_algs: args.clear_id_token_algs,
    };
    if !args.fields.changes_anything()
        && args.enabled.is_none()
        && !clears.any()
        && !args.clear_client_secret
    {
        return Err(CliError::Usage(
            "nothing to change: pass the flags of the fields to edit (see `eca idp edit --help`)"
                .into(),
        ));
    }
    let secret = secret_change(&args.fields, args.clear_client_secret)?;
    let mut catalog = open(dir)?;
    let idp = catalog.find(&args.idp)?;
    let mut fields = idp.fields;
    args.fields.apply(&mut fields, clears);
    if let Some(enabled) = args.enabled {
        fields.enabled = enabled;
    }
    discover_missing(&args.fields, None, &mut fields)?;
    save(&mut catalog, Some(idp.id), fields, secret, json)
}

/// Saves, prints the saved IdP, and reports a secret the keyring refused after the print, so
/// the admin sees both that the rest was kept and that the secret was not.
fn save(
    catalog: &mut Catalog,
    id: Option<IdpId>,
    fields: IdpFields,
    secret: SecretChange,
    json: bool,
) -> Result<(), CliError> {
    let outcome = catalog.save(SaveIdpRequest { id, fields, secret })?;
    let idp = &outcome.idp;
    if idp.fields.client_auth_method.uses_key() {
        catalog.generate_key(idp.id, false)?;
    }
    print(&output::idp(idp, json))?;
    if idp.fields.client_auth_method.uses_key() && !json {
        crate::output::eprint(&format!(
            "Register its public key at the IdP: eca idp show \"{}\" --public-jwk",
            idp.fields.name
        ));
    }
    match outcome.secret_error {
        Some(message) => Err(CliError::SecretNotSaved(message)),
        None => Ok(()),
    }
}

/// The JWK Set to register at the IdP: this computer's keys (Test Configuration) and, when the
/// synced backend has the IdP, the platform's (customer sign-in); stderr says which it holds.
fn show_public_jwk(dir: Option<PathBuf>, idp: &str) -> Result<(), CliError> {
    let catalog = open(dir.clone())?;
    let idp = catalog.find(idp)?;
    let Some(view) = catalog.public_key(idp.id)? else {
        return Err(CliError::Usage(format!(
            "\"{}\" has no signing key: choose private_key_jwt (eca idp edit \"{}\" \
             --client-auth-method private_key_jwt) to make one",
            idp.fields.name, idp.fields.name
        )));
    };
    let platform = sync::open(dir)
        .and_then(|mut outbox| Ok(idp_test::runtime()?.block_on(outbox.platform_key(idp.id))?))
        .map_err(|e| e.to_string());
    let (jwks, note) = public_keys::both(&view, &platform)?;
    print(&jwks)?;
    crate::output::eprint(&note);
    Ok(())
}

fn secret_change(flags: &FieldArgs, clear: bool) -> Result<SecretChange, CliError> {
    if flags.client_secret_value.is_some() {
        return Err(CatalogError::Invalid(vec![FieldError::new(
            Field::ClientSecret,
            "is never taken as a flag value (it would show in shell history and the process \
             list): pipe it in with --client-secret-stdin",
        )])
        .into());
    }
    Ok(if flags.client_secret_stdin {
        SecretChange::Replace(secret_input::read_from_stdin(&secret_input::CLIENT_SECRET)?)
    } else if clear {
        SecretChange::Clear
    } else {
        SecretChange::Keep
    })
}

/// Fills the endpoints no flag named from the issuer's discovery document (OIDC, `--issuer`
/// given, or filled by a preset). An issuer the rules refuse is reported as a field error
/// rather than fetched, with the "is required" errors of the endpoints discovery would have
/// filled left out. An endpoint the preset filled is the preset's quirk: discovery keeps off it.
fn discover_missing(
    flags: &FieldArgs,
    filled: Option<&PresetFill>,
    fields: &mut IdpFields,
) -> Result<(), CliError> {
    let issuer_given = filled.is_some_and(|p| p.issuer.is_some());
    let Some(issuer) = flags
        .discovery_issuer(fields, issuer_given)
        .map(|i| i.trim().to_string())
    else {
        return Ok(());
    };
    let mut wanted = flags.discoverable();
    if filled.is_some_and(|p| p.userinfo_endpoint.is_some()) {
        wanted.retain(|f| *f != Field::UserinfoEndpoint);
    }
    if let Err(mut errors) = validation::validate(fields.clone()) {
        if errors.iter().any(|e| e.field == Field::Issuer) {
            errors.retain(|e| !wanted.contains(&e.field));
            return Err(CatalogError::Invalid(errors).into());
        }
    }
    let info = discover(&issuer)?;
    fill_from_discovery(fields, &info, &wanted);
    Ok(())
}

fn discover(issuer: &str) -> Result<DiscoveryInfo, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the network runtime", e))?;
    let info = runtime.block_on(async { discovery::fetch(&http::client(), issuer).await })?;
    Ok(info)
}

fn set_enabled(
    dir: Option<PathBuf>,
    idp: &str,
    on: bool,
    yes: bool,
    json: bool,
) -> Result<(), CliError> {
    let mut catalog = open(dir.clone())?;
    let found = catalog.find(idp)?;
    let id = found.id;
    if !on && found.fields.enabled {
        let refusal = format!(
            "disabling \"{}\" stops customer sign-in with it",
            found.fields.name
        );
        let impact = impact::of(dir, id)?;
        impact::confirm(&impact, &refusal, impact.disable_asks_first, yes, json)?;
    }
    let summary = catalog.set_enabled(id, on)?;
    print(&if json {
        output::json(&summary)
    } else {
        let verb = if on { "Enabled" } else { "Disabled" };
        format!("{verb} \"{}\".", summary.name)
    })
}

fn delete(dir: Option<PathBuf>, idp: &str, yes: bool, json: bool) -> Result<(), CliError> {
    let mut catalog = open(dir.clone())?;
    let idp = catalog.find(idp)?;
    let name = idp.fields.name;
    let refusal = format!("deleting \"{name}\" cannot be undone");
    impact::confirm(&impact::of(dir, idp.id)?, &refusal, true, yes, json)?;
    catalog.delete(idp.id)?;
    print(&if json {
        output::json(&json!({ "deleted": idp.id, "name": name }))
    } else {
        format!("Deleted \"{name}\" and its client secret.")
    })
}

fn export(dir: Option<PathBuf>, to: Option<&Path>, json: bool) -> Result<(), CliError> {
    let catalog = open(dir)?;
    let document = transfer::export(&catalog, &SystemClock)?;
    let text = output::json(&document);
    let Some(path) = to else {
        return print(&text);
    };
    std::fs::write(path, format!("{text}\n"))
        .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))?;
    let count = document.idps.len();
    print(&if json {
        output::json(&json!({ "exported": count, "file": path }))
    } else {
        format!(
            "Exported {count} identity provider(s) to {}.",
            path.display()
        )
    })
}

fn import(dir: Option<PathBuf>, file: &Path, json: bool) -> Result<(), CliError> {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::io("cannot read the export document from stdin", e))?;
        text
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| CliError::io(format!("cannot read {}", file.display()), e))?
    };
    let mut catalog = open(dir)?;
    let written = transfer::import(&mut catalog, &text)?;
    let ids: Vec<IdpId> = written.iter().map(|idp| idp.id).collect();
    // IdPs whose stored secret the import moved elsewhere: it is set aside, never sent there.
    let set_aside: Vec<(&IdpConfig, String)> = written
        .iter()
        .filter_map(|idp| Some((idp, idp.secret_set_aside()?.message)))
        .collect();
    print(&if json {
        let set_aside: Vec<_> = set_aside
            .iter()
            .map(|(idp, why)| json!({ "id": idp.id, "name": idp.fields.name, "message": why }))
            .collect();
        output::json(
            &json!({ "imported": written.len(), "ids": ids, "secrets_set_aside": set_aside }),
        )
    } else {
        let mut text = format!(
            "Imported {} identity provider(s). Secrets are never exported: set them again with \
             `eca idp edit NAME --client-secret-stdin`.",
            written.len()
        );
        if !set_aside.is_empty() {
            text.push_str(
                "\nThe stored client secret of these was set aside; it is not used until you \
                 enter it again:",
            );
            for (idp, why) in &set_aside {
                text.push_str(&format!("\n  {}: {why}", idp.fields.name));
            }
        }
        text
    })
}
