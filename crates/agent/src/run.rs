//! One run: fetch the desired state (conditionally), check it, plan, apply, remember,
//! report. The memory is locked only to take the state in and to record what was applied,
//! so `keys` (sshd waiting on it) is never held up by a long convergence.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, bail};
use shtab_access_protocol::{AccountState, DesiredState, Report};

use crate::config::Settings;
use crate::hub::{Fetched, Hub};
use crate::memory::{Memory, Store};
use crate::plan::{self, Inputs};
use crate::validate::{self, Checked};
use crate::{apply, peek, system, wireguard};

/// What a run ends with; the caller prints it and picks the exit code.
#[derive(Debug)]
pub struct Summary {
    pub report: Report,
    /// `Some` when the report could not be delivered.
    pub report_error: Option<String>,
}

const HUB_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(settings: &Settings, dry_run: bool) -> anyhow::Result<Summary> {
    let hub = Hub::new(&settings.hub, &settings.token, HUB_TIMEOUT);
    let store = Store::new(&settings.state_dir);
    let (state, mut memory) = fetch(&hub, &store, dry_run)?;

    let checked = validate::check(&state);
    let snapshot = system::snapshot(&system::SYSTEM_FILES)?;
    let keys = keys_by_login(&memory, &checked);
    let keys_dir_files: Vec<String> = std::fs::read_dir(&settings.keys_dir)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let plan = plan::plan(
        &checked,
        &Inputs {
            snapshot: &snapshot,
            managed: &memory.managed,
            keys: &keys,
            current_file: &peek::peek,
            home_file: &peek::peek_under,
            keys_dir: &settings.keys_dir,
            sudoers_dir: &settings.sudoers_dir,
            keys_dir_files: &keys_dir_files,
        },
    );
    let mut errors = checked.errors.clone();
    errors.extend(plan.errors.iter().cloned());

    if dry_run {
        let gateway = state
            .wireguard
            .as_ref()
            .map(|g| wireguard::converge(g, true))
            .unwrap_or_default();
        errors.extend(gateway.errors);
        let mut applied: Vec<_> = plan
            .steps
            .iter()
            .map(|s| shtab_access_protocol::Change {
                target: s.target.clone(),
                action: s.action.to_owned(),
                detail: s.detail.clone(),
            })
            .collect();
        applied.extend(gateway.changes);
        return Ok(Summary {
            report: Report {
                revision: state.revision,
                applied,
                drift: plan.drift,
                errors,
            },
            report_error: None,
        });
    }

    let before = memory.managed.clone();
    let outcome = apply::apply(&plan.steps, &mut memory.managed);
    errors.extend(outcome.errors);
    let mut applied = outcome.applied;
    if let Some(gateway) = &state.wireguard {
        let gateway = wireguard::converge(gateway, false);
        applied.extend(gateway.changes);
        errors.extend(gateway.errors);
    }
    let adopted: BTreeSet<String> = memory.managed.difference(&before).cloned().collect();
    if !adopted.is_empty() {
        let mut locked = store.lock()?;
        locked.memory.managed.extend(adopted);
        locked.save()?;
    }

    let report = Report {
        revision: state.revision,
        applied,
        drift: plan.drift,
        errors,
    };
    let report_error = hub.report(&report).err().map(|e| e.to_string());
    Ok(Summary {
        report,
        report_error,
    })
}

/// The state to converge to and the memory that goes with it. A fetched state is taken in
/// (and saved, unless this is a dry run) before anything else happens.
fn fetch(hub: &Hub, store: &Store, dry_run: bool) -> anyhow::Result<(DesiredState, Memory)> {
    let remembered = store.read()?;
    // Without a remembered state a 304 would leave nothing to apply: ask unconditionally.
    let etag = remembered.state.as_ref().and(remembered.etag.as_deref());
    match hub.state(etag)? {
        Fetched::NotModified => {
            let state = remembered
                .state
                .clone()
                .context("the hub answered 304 but no state is remembered")?;
            Ok((state, remembered))
        }
        Fetched::State { state, etag } => {
            if dry_run {
                let mut memory = remembered;
                memory.accept(state, etag)?;
                let state = memory.state.clone().expect("a state was just accepted");
                return Ok((state, memory));
            }
            let mut locked = store.lock()?;
            locked.memory.accept(state, etag)?;
            locked.save()?;
            // What was remembered is what is applied (and what `keys` answers from).
            let state = locked
                .memory
                .state
                .clone()
                .expect("a state was just accepted");
            Ok((state, locked.memory.clone()))
        }
    }
}

/// The keys each present account gets: the state's, less any key seen revoked.
fn keys_by_login(memory: &Memory, checked: &Checked) -> BTreeMap<String, Vec<String>> {
    checked
        .accounts
        .iter()
        .filter(|a| a.state == AccountState::Present)
        .map(|a| {
            (
                a.login.as_str().to_owned(),
                memory.keys_for(a.login.as_str()),
            )
        })
        .collect()
}

/// `daemon`: a run every `interval`, for ever; a failed run is logged and retried.
pub fn daemon(settings: &Settings, interval: Duration) -> anyhow::Result<()> {
    if interval < Duration::from_secs(1) {
        bail!("the interval must be at least 1s");
    }
    loop {
        match run(settings, false) {
            Ok(summary) => print_summary(&summary, false),
            Err(e) => eprintln!("shtab-agent: run failed: {e:#}"),
        }
        std::thread::sleep(interval);
    }
}

pub fn print_summary(summary: &Summary, dry_run: bool) {
    let report = &summary.report;
    let verb = if dry_run { "would apply" } else { "applied" };
    println!(
        "revision {}: {} {} change(s)",
        report.revision,
        verb,
        report.applied.len()
    );
    for change in &report.applied {
        if change.detail.is_empty() {
            println!("  {}: {}", change.target, change.action);
        } else {
            println!("  {}: {} ({})", change.target, change.action, change.detail);
        }
    }
    for drift in &report.drift {
        println!("drift: {drift}");
    }
    for error in &report.errors {
        eprintln!("error: {error}");
    }
    if let Some(e) = &summary.report_error {
        eprintln!("error: the report was not delivered: {e}");
    }
}
