//! The `eca backend` and `eca sync` commands: where to sync, and the sync itself (status, plan,
//! push, pull, resolve), each a thin call into the core's [`Outbox`] on the app's database.
//!
//! Invariants:
//! - The API key enters only from stdin (like the client secret) and goes straight into the
//!   keyring through the core; it is never printed: `backend show` says only whether one is
//!   stored.
//! - Every rule (what is sent, when a change is a conflict, what a pull may overwrite) lives in
//!   the core; this module opens the outbox, runs one operation and prints its result.
//! - A push exits 0 only when nothing is left: changes left pending (unreachable, busy, a
//!   `Retry-After`) and changes in conflict or failed (earlier ones included) each have their
//!   own exit status ([`crate::error`]), and a refused key exits 1; the core keeps every change
//!   for the next push.
//! - On a terminal, a push counts its changes on stderr ([`PushCounter`]).

use crate::cli::{ApiKeyArgs, BackendCommand, SyncCommand};
use crate::error::CliError;
use crate::output::{self, print};
use crate::push_counter::PushCounter;
use crate::secret_input::{self, SecretPrompt};
use eca_core::catalog::Catalog;
use eca_core::data_dir;
use eca_core::secrets::{OsKeyring, Secret};
use eca_core::store::sync_changes::SyncChange;
use eca_core::sync::impact::IdpImpact;
use eca_core::sync::plan::{PlanItem, RemoteChange, SyncAction, SyncStatus};
use eca_core::sync::promote::Promotion;
use eca_core::sync::pull::PullReport;
use eca_core::sync::retry::{OsJitter, Pause, RetryPolicy, TokioPause};
use eca_core::sync::settings::{SaveSettings, SyncSettings};
use eca_core::sync::{Outbox, PushReport, SyncError, SyncPlan};
use eca_model::clock::SystemClock;
use eca_model::diff::FieldChange;
use eca_model::idp::{Field, IdpId};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

use std::future::Future;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub fn backend(command: BackendCommand, dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    match command {
        BackendCommand::Set {
            url,
            workspace,
            api_key,
            start_afresh,
        } => {
            let key = read_api_key(api_key)?;
            let mut outbox = open(dir)?;
            let stored = outbox.settings()?;
            let settings = match (url, workspace, stored) {
                (Some(backend_url), Some(workspace_id), _) => SyncSettings {
                    backend_url,
                    workspace_id,
                },
                (url, workspace, Some(s)) => SyncSettings {
                    backend_url: url.unwrap_or(s.backend_url),
                    workspace_id: workspace.unwrap_or(s.workspace_id),
                },
                (_, _, None) => {
                    return Err(CliError::Usage(
                        "sync is not set up yet: pass both --url and --workspace".into(),
                    ))
                }
            };
            let request = SaveSettings {
                settings,
                api_key: key.as_ref(),
                start_afresh,
            };
            let setup = outbox.save_setup(request).map_err(|e| match e {
                SyncError::MoveNotConfirmed { .. } => CliError::Usage(format!(
                    "{e} Run it again with --start-afresh (and the new key on stdin) to confirm."
                )),
                e => e.into(),
            })?;
            print_setup(&setup, json)
        }
        BackendCommand::Show => print_setup(&open(dir)?.setup()?, json),
    }
}

fn print_setup(setup: &eca_core::sync::local::SyncSetup, json: bool) -> Result<(), CliError> {
    if json {
        return print(&output::json(setup));
    }
    let key = if setup.has_api_key {
        "stored in the OS keyring"
    } else {
        "not stored (set it with `eca backend set --api-key-stdin`)"
    };
    print(&match &setup.settings {
        Some(s) => format!(
            "Backend URL  {}\nWorkspace    {}\nAPI key      {key}",
            s.backend_url, s.workspace_id
        ),
        None => format!("Sync is not set up (`eca backend set --url URL --workspace ID --api-key-stdin`).\nAPI key      {key}"),
    })
}

pub fn sync(command: SyncCommand, dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    match command {
        SyncCommand::Status => status(dir, json),
        SyncCommand::Plan => plan(dir, json),
        SyncCommand::Push => {
            let mut outbox = announcing_waits(open(dir)?, json);
            let mut counter = PushCounter::on_stderr(json);
            let pushed = block_on(outbox.push_observed(&mut |p| counter.tell(p)));
            counter.finish();
            match pushed? {
                Ok(report) => print_push(&report, &outbox, json),
                Err(e @ (SyncError::Unreachable(_) | SyncError::Busy { .. })) => {
                    Err(CliError::PushKept(e))
                }
                Err(e) => Err(e.into()),
            }
        }
        SyncCommand::Promote { to, idp, dry_run } => promote(dir, to, &idp, dry_run, json),
        SyncCommand::Pull => pull(dir, json),
        SyncCommand::Retry { idp } => retry(dir, &idp, json),
        SyncCommand::Resolve {
            idp,
            keep_mine,
            take_theirs,
        } => resolve(dir, &idp, keep_mine && !take_theirs, json),
    }
}

pub(crate) fn open(dir: Option<PathBuf>) -> Result<Outbox, CliError> {
    let dir = data_dir::resolve(dir)?;
    Ok(Outbox::open(
        &dir,
        Arc::new(OsKeyring::new()),
        Arc::new(SystemClock),
    )?)
}

/// The outbox, saying on stderr (unless the output is JSON) each time a push waits before
/// retrying, so a wait the backend asked for (`Retry-After`) is seen, not taken for a hang.
fn announcing_waits(outbox: Outbox, json: bool) -> Outbox {
    if json {
        return outbox;
    }
    outbox.with_retry(
        RetryPolicy::default(),
        Arc::new(AnnouncedPause),
        Arc::new(OsJitter),
    )
}

/// Real waiting, announced first.
struct AnnouncedPause;

impl Pause for AnnouncedPause {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        if std::io::stderr().is_terminal() {
            // Clears the push counter's line, which the next count writes again below.
            eprint!("\r\x1b[K");
        }
        output::eprint(&format!(
            "The backend is busy or the connection dropped: retrying in {:.1} s.",
            wait.as_secs_f64()
        ));
        TokioPause.pause(wait)
    }
}

pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the network runtime", e))?;
    Ok(runtime.block_on(future))
}

/// The API key the arguments ask for: none, or the one on stdin (to its end, without one
/// trailing newline; never from a terminal). A key given as a flag value is refused.
pub(crate) fn read_api_key(args: ApiKeyArgs) -> Result<Option<Secret>, CliError> {
    if args.api_key_value.is_some() {
        return Err(CliError::Usage(
            "the API key is never taken as a flag value (it would show in shell history and the \
             process list): pipe it in with --api-key-stdin"
                .into(),
        ));
    }
    if !args.api_key_stdin {
        return Ok(None);
    }
    let key = secret_input::read_from_stdin(&SecretPrompt {
        flag: "--api-key-stdin",
        what: "the API key",
        example: "pass show eca/api-key | eca backend set --api-key-stdin",
    })?;
    if key.expose().is_empty() {
        return Err(CliError::Usage("the API key on stdin is empty".into()));
    }
    Ok(Some(key))
}

/// Every IdP's name, local or last synced (a deleted IdP keeps its name in the base).
fn names(outbox: &Outbox) -> Result<HashMap<IdpId, String>, CliError> {
    let mut names: HashMap<IdpId, String> = outbox
        .base()?
        .into_iter()
        .map(|b| (b.idp_id, b.fields.name))
        .collect();
    let rows = eca_core::store::idps::list_full(outbox.connection()).map_err(SyncError::from)?;
    names.extend(rows.into_iter().map(|s| (s.id, s.fields.name)));
    Ok(names)
}

fn name_of(names: &HashMap<IdpId, String>, id: IdpId) -> String {
    names.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

/// One outbox row as `sync status` prints it.
#[derive(Serialize)]
struct StatusLine {
    name: String,
    #[serde(flatten)]
    change: SyncChange,
}

fn status(dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let outbox = open(dir)?;
    let names = names(&outbox)?;
    let lines: Vec<StatusLine> = outbox
        .changes()?
        .into_iter()
        .map(|change| StatusLine {
            name: name_of(&names, change.idp_id),
            change,
        })
        .collect();
    if json {
        return print(&output::json(&lines));
    }
    if lines.is_empty() {
        return print("No pending changes.");
    }
    let mut text = format!("{} pending change(s):", lines.len());
    for l in &lines {
        let c = &l.change;
        text.push_str(&format!(
            "\n  {:<30} {:<8} {:<9} attempts {}",
            l.name,
            c.kind.as_str(),
            c.state.as_str(),
            c.attempts
        ));
        if let Some(e) = &c.last_error {
            text.push_str(&format!("\n      last error: {e}"));
        }
        if let Some(at) = &c.next_attempt_at {
            text.push_str(&format!("\n      retry after {at}"));
        }
    }
    print(&text)
}

/// The plan with the impact of its deletes and disables (`--json`).
#[derive(Serialize)]
struct PlanWithImpact<'a> {
    #[serde(flatten)]
    plan: &'a SyncPlan,
    impact: &'a [IdpImpact],
}

fn plan(dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let mut outbox = open(dir)?;
    let plan = block_on(outbox.plan())??;
    let impact = block_on(outbox.plan_impact(&plan))?;
    if json {
        return print(&output::json(&PlanWithImpact {
            plan: &plan,
            impact: &impact,
        }));
    }
    let shown: Vec<&PlanItem> = plan
        .items
        .iter()
        .filter(|i| i.status != SyncStatus::InSync)
        .collect();
    if shown.is_empty() {
        return print(&format!(
            "Everything is in sync ({} IdP(s)).",
            plan.items.len()
        ));
    }
    let mut text = String::new();
    for item in shown {
        let what = match item.status {
            SyncStatus::Outgoing => action_word(item.action).to_string(),
            SyncStatus::Drift => {
                format!("drift ({} on the backend)", remote_word(item.remote_change))
            }
            SyncStatus::Conflict => format!(
                "CONFLICT ({} on the backend): eca sync resolve {} --keep-mine|--take-theirs",
                remote_word(item.remote_change),
                item.idp_id
            ),
            SyncStatus::InSync => continue,
        };
        text.push_str(&format!("{}  {}  ({})\n", item.name, what, item.idp_id));
        if let Some(found) = impact.iter().find(|i| i.idp_id == item.idp_id) {
            text.push_str(&format!("    impact: {}\n", found.summary));
        }
        diff_lines(&mut text, "mine  ", &item.local_changes);
        diff_lines(&mut text, "theirs", &item.remote_changes);
    }
    print(text.trim_end())
}

fn action_word(action: SyncAction) -> &'static str {
    match action {
        SyncAction::Create => "create",
        SyncAction::Update => "update",
        SyncAction::Delete => "delete",
        SyncAction::Enable => "enable",
        SyncAction::Disable => "disable",
        SyncAction::None => "none",
    }
}

fn remote_word(change: RemoteChange) -> &'static str {
    match change {
        RemoteChange::None => "unchanged",
        RemoteChange::Created => "created",
        RemoteChange::Updated => "updated",
        RemoteChange::Deleted => "deleted",
    }
}

/// One line per changed field; secrets are only ever "changed" or "removed" (core rule).
fn diff_lines(text: &mut String, side: &str, changes: &[FieldChange]) {
    let show = |v: &Option<String>| match v.as_deref() {
        None | Some("") => "-".to_string(),
        Some(v) => v.to_string(),
    };
    for c in changes {
        if c.field == Field::ClientSecret {
            let after = c.after.as_deref().unwrap_or("changed");
            text.push_str(&format!("    {side} client_secret: {after}\n"));
        } else {
            text.push_str(&format!(
                "    {side} {}: {} → {}\n",
                c.field,
                show(&c.before),
                show(&c.after)
            ));
        }
    }
}

/// Prints a push's report; a conflict or failure left behind makes the command fail.
fn print_push(report: &PushReport, outbox: &Outbox, json: bool) -> Result<(), CliError> {
    if json {
        print(&output::json(report))?;
    } else {
        // Read after the push, and only the IdPs left behind are named: what was pushed is a
        // count, so a push of thousands prints (and holds) nothing per IdP.
        let left = report.conflicts.len() + report.failed.len() + report.waiting.len();
        let names = if left > 0 {
            names(outbox)?
        } else {
            HashMap::new()
        };
        let names = &names;
        let changes = outbox.changes()?;
        let errors: HashMap<IdpId, &str> = changes
            .iter()
            .filter_map(|c| c.last_error.as_deref().map(|e| (c.idp_id, e)))
            .collect();
        let deferred: HashMap<IdpId, &str> = changes
            .iter()
            .filter_map(|c| c.next_attempt_at.as_deref().map(|at| (c.idp_id, at)))
            .collect();
        let mut text = format!("Pushed {} change(s).", report.pushed.len());
        for (label, ids) in [
            ("conflict", &report.conflicts),
            ("failed", &report.failed),
            ("waiting", &report.waiting),
        ] {
            for id in ids {
                text.push_str(&format!("\n  {label:<8} {}", name_of(names, *id)));
                let note = match label {
                    "waiting" => deferred.get(id).map(|at| format!(" (retry after {at})")),
                    _ => errors.get(id).map(|e| format!(": {e}")),
                };
                text.push_str(&note.unwrap_or_default());
            }
        }
        print(&text)?;
    }
    settled(report)
}

/// The exit status of a push: 0 only when nothing is left.
fn settled(report: &PushReport) -> Result<(), CliError> {
    let (conflicts, failed) = (report.conflicts.len(), report.failed.len());
    if conflicts + failed > 0 {
        return Err(CliError::Unsettled(format!(
            "{conflicts} conflict(s) and {failed} failed change(s) are left: see `eca sync plan` \
             and `eca sync status`, then `eca sync resolve IDP --keep-mine|--take-theirs` or fix \
             the IdP."
        )));
    }
    if !report.waiting.is_empty() {
        return Err(CliError::LeftPending(format!(
            "{} IdP(s) have changes still pending (the backend asked to wait): push again after \
             the time shown.",
            report.waiting.len()
        )));
    }
    Ok(())
}

fn pull(dir: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let mut outbox = open(dir)?;
    let before = names(&outbox)?;
    let report: PullReport = block_on(outbox.pull())??;
    if json {
        return print(&output::json(&report));
    }
    let mut names = names(&outbox)?;
    for (id, name) in before {
        names.entry(id).or_insert(name);
    }
    let mut text = format!("Took the backend's copy of {} IdP(s).", report.pulled.len());
    for id in &report.pulled {
        text.push_str(&format!("\n  pulled   {}", name_of(&names, *id)));
    }
    for id in &report.kept {
        text.push_str(&format!(
            "\n  kept     {} (changed here: push it)",
            name_of(&names, *id)
        ));
    }
    for id in &report.conflicts {
        text.push_str(&format!(
            "\n  conflict {} (eca sync resolve {id} --keep-mine|--take-theirs)",
            name_of(&names, *id)
        ));
    }
    for r in &report.refused {
        text.push_str(&format!(
            "\n  refused  {}: {}",
            name_of(&names, r.idp_id),
            r.message
        ));
    }
    print(&text)
}

fn promote(
    dir: Option<PathBuf>,
    to: Option<String>,
    idps: &[String],
    dry_run: bool,
    json: bool,
) -> Result<(), CliError> {
    let dir = data_dir::resolve(dir)?;
    let mut outbox = open(Some(dir.clone()))?;
    let ids = idps
        .iter()
        .map(|idp| idp_id(&dir, idp))
        .collect::<Result<Vec<_>, _>>()?;
    let promotion = outbox.promotion(to.as_deref(), &ids)?;
    if dry_run {
        return print(&match json {
            true => output::json(&promotion),
            false => promotion_text(&promotion),
        });
    }
    if !json {
        print(&promotion_text(&promotion))?;
    }
    let report = match block_on(outbox.promote(to.as_deref(), &ids))? {
        Ok(report) => report,
        Err(e @ (SyncError::Unreachable(_) | SyncError::Busy { .. })) => {
            return Err(CliError::PushKept(e))
        }
        Err(e) => return Err(e.into()),
    };
    match json {
        true => {
            print(&output::json(&report))?;
            settled(&report.push)?;
        }
        false => print_push(&report.push, &outbox, false)?,
    }
    let refused = report.promotion.items.len() - report.promotion.eligible().count();
    if refused > 0 {
        return Err(CliError::Unsettled(format!(
            "{refused} IdP(s) were not promoted to {}: see the reasons above.",
            report.promotion.to
        )));
    }
    Ok(())
}

fn promotion_text(promotion: &Promotion) -> String {
    let mut text = format!("Promote from {} to {}:", promotion.from, promotion.to);
    if promotion.items.is_empty() {
        text.push_str("\n  (no IdP)");
    }
    for item in &promotion.items {
        let line = match &item.reason {
            Some(reason) => format!("\n  refused  {}: {reason}", item.idp_name),
            None if item.on_target => format!("\n  update   {}", item.idp_name),
            None => format!("\n  create   {}", item.idp_name),
        };
        text.push_str(&line);
    }
    text
}

/// The IdP `idp` names: an id is taken as is (the IdP may exist only on the backend, or only
/// in the base), a name is looked up locally.
fn idp_id(dir: &std::path::Path, idp: &str) -> Result<IdpId, CliError> {
    match idp.trim().parse::<IdpId>() {
        Ok(id) => Ok(id),
        Err(_) => {
            let catalog = Catalog::open(dir, Arc::new(OsKeyring::new()), Arc::new(SystemClock))?;
            Ok(catalog.find(idp)?.id)
        }
    }
}

fn retry(dir: Option<PathBuf>, idp: &str, json: bool) -> Result<(), CliError> {
    let dir = data_dir::resolve(dir)?;
    let mut outbox = open(Some(dir.clone()))?;
    let id = idp_id(&dir, idp)?;
    let name = name_of(&names(&outbox)?, id);
    let retried = outbox.retry_failed(id)?;
    print(&if json {
        output::json(&json!({ "idp_id": id, "name": name, "retried": retried }))
    } else if retried == 0 {
        format!("\"{name}\" has no change the backend refused: nothing to retry.")
    } else {
        format!("{retried} refused change(s) of \"{name}\" will be sent again by the next `eca sync push`.")
    })
}

fn resolve(dir: Option<PathBuf>, idp: &str, keep_mine: bool, json: bool) -> Result<(), CliError> {
    let dir = data_dir::resolve(dir)?;
    let mut outbox = announcing_waits(open(Some(dir.clone()))?, json);
    let names = names(&outbox)?;
    let id = idp_id(&dir, idp)?;
    let name = name_of(&names, id);
    if keep_mine {
        let report = block_on(outbox.keep_mine(id))??;
        return print_push(&report, &outbox, json);
    }
    block_on(outbox.take_theirs(id))??;
    print(&if json {
        output::json(&json!({ "took_theirs": id, "name": name }))
    } else {
        format!("Took the backend's copy of \"{name}\".")
    })
}
