//! `cho-door enrol`, `cho-door sync` and `cho-door sync --follow`: the
//! app's side of the device protocol. The core (`cho_core::device`) builds
//! every request and decides what every answer means; this module carries
//! the bytes (`http::send`) and prints the outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cho_core::device::{
    CountsOutcome, DeviceOutcome, DeviceStep, DoorDevice, EnrolmentState, HttpRequest, ListKind,
};
use serde_json::json;

use crate::device::{self, ENROL_HINT};
use crate::{Context, Exit, Failure, Outcome, http, term};

/// `cho-door enrol`: a `cho-enrol:` link, or URL + code + fingerprint.
pub struct EnrolArgs {
    pub target: String,
    pub code: Option<String>,
    pub fingerprint: Option<String>,
    pub force: bool,
}

/// How an exchange ended, with when to sync again.
struct Finished {
    outcome: DeviceOutcome,
    next_sync_at: i64,
    /// Why the last request got no answer, if it got none (for the
    /// message; the core only needs to know that it failed).
    no_answer: Option<String>,
}

/// Runs one exchange to its end: sends each request the core builds and
/// hands it the answer. `stop` (Ctrl-C) abandons a request in flight: the
/// core's state is written whole at each step, so nothing is half done.
fn exchange(
    device: &DoorDevice,
    first: HttpRequest,
    now: &dyn Fn() -> i64,
    stop: Option<&AtomicBool>,
) -> Result<Option<Finished>, Failure> {
    let mut request = first;
    let mut no_answer = None;
    loop {
        let answer = match stop {
            None => http::send(&request),
            Some(stop) => match http::send_unless_stopped(request, stop) {
                Some(answer) => answer,
                None => return Ok(None),
            },
        };
        let step = match answer {
            Ok(response) => device.handle_response(response, now()),
            Err(http::NoAnswer(why)) => {
                no_answer = Some(why);
                device.transport_failed(now())
            }
        }
        .map_err(device::failure)?;
        match step {
            DeviceStep::Send { request: next } => request = next,
            DeviceStep::Finished {
                outcome,
                next_sync_at_unix,
                // Only with persist = false, which cho-door never asks for:
                // it keeps the credential and keys in its data directory.
                keystore: _,
            } => {
                return Ok(Some(Finished {
                    outcome,
                    next_sync_at: next_sync_at_unix,
                    no_answer,
                }));
            }
        }
    }
}

fn kind_name(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Snapshot => "snapshot",
        ListKind::Delta => "delta",
    }
}

fn entries(n: u64) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}

/// A transient failure as cho-door reports it: exit 5, the list stays.
fn unreachable(server: &str, reason: &str, no_answer: Option<&str>, retry_in: i64) -> Failure {
    let reason = match no_answer {
        Some(why) => format!("{reason}: {why}"),
        None => reason.to_owned(),
    };
    Failure::new(
        Exit::Network,
        "network",
        format!(
            "cannot reach the server at {server} ({reason}); the list in force stays; try again in {retry_in} s"
        ),
    )
}

pub fn enrol(ctx: &Context, args: &EnrolArgs) -> Result<Outcome, Failure> {
    let dir = &ctx.data_dir;
    let device = device::open(dir)?;
    let status = device.status(ctx.now);
    if status.state == EnrolmentState::Enrolled && !args.force {
        return Err(Failure::other(
            "already_enrolled",
            format!(
                "this door is already enrolled (device {} at {}): use --force to wipe it and enrol anew",
                status.device_id.unwrap_or_default(),
                status.server_url.unwrap_or_default()
            ),
        ));
    }
    let link = args
        .target
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("cho-enrol:");
    // cho-door keeps the credential and keys in its data directory (mode
    // 0600): it has no platform keystore.
    let request = match (link, &args.code, &args.fingerprint) {
        (true, None, None) => device.start_enrol_link(args.target.clone(), true),
        (true, _, _) => {
            return Err(Failure::invalid(
                "a cho-enrol: link carries the code and the key fingerprint: give it alone",
            ));
        }
        (false, Some(code), Some(fingerprint)) => {
            device.start_enrol(args.target.clone(), code.clone(), fingerprint.clone(), true)
        }
        (false, None, _) => {
            return Err(Failure::invalid(format!(
                "give the enrolment link, or the server URL with the code: {ENROL_HINT}"
            )));
        }
        (false, Some(_), None) => {
            return Err(Failure::invalid(
                "give the key fingerprint shown beside the code (--fingerprint ABCD-EFGH-JKLM): \
                 without it anyone between this door and the server could hand it their own signing key",
            ));
        }
    }
    .map_err(device::failure)?;
    let server = request
        .url
        .trim_end_matches("/api/v1/devices/enrol")
        .to_owned();
    let now = || ctx.now;
    let Some(finished) = exchange(&device, request, &now, None)? else {
        return Err(Failure::other("stopped", "stopped"));
    };
    let no_answer = finished.no_answer.as_deref();
    match finished.outcome {
        DeviceOutcome::Enrolled {
            device_id,
            area_id,
            key_epoch,
            server_url,
        } => Ok(Outcome::ok(format!(
            "enrolled: device {device_id} in area {area_id} (key epoch {key_epoch}) at {server_url}\n\
             signing key: {} (matches the fingerprint given)\nnext: cho-door sync\n",
            device
                .status(ctx.now)
                .signing_key_fingerprint
                .unwrap_or_default()
        ))),
        DeviceOutcome::RetryLater {
            retry_at_unix,
            reason,
            ..
        } => Err(unreachable(
            &server,
            &reason,
            no_answer,
            retry_at_unix - ctx.now,
        )),
        _ => Err(Failure::other(
            "bad_answer",
            "the enrolment did not complete",
        )),
    }
}

/// Opens an enrolled door, or says why not.
fn enrolled(ctx: &Context) -> Result<Arc<DoorDevice>, Failure> {
    if !device::has_state(&ctx.data_dir) {
        return Err(device::not_enrolled(&ctx.data_dir));
    }
    let device = device::open(&ctx.data_dir)?;
    if let Some(reason) = device.status(ctx.now).list.stored_list_refused {
        term::warn(&format!(
            "warning: the stored list was not used ({reason}): fetching a full list"
        ));
    }
    Ok(device)
}

/// Sends the anonymous counts the server has not acknowledged (after a
/// sync, with `--send-counts`). Only a revocation is an error: counts are
/// optional, so anything else is a warning and the counts go next time.
fn send_counts(device: &DoorDevice, now: i64) -> Result<(), Failure> {
    let request = match device.start_counts(now) {
        Ok(Some(request)) => request,
        Ok(None) => return Ok(()),
        Err(e) => {
            term::warn(&format!("warning: the counts were not sent: {e}"));
            return Ok(());
        }
    };
    let outcome = match http::send(&request) {
        Ok(response) => device.handle_counts_response(response, now),
        Err(http::NoAnswer(why)) => {
            term::warn(&format!(
                "warning: the counts were not sent (no answer: {why}); they go with the next sync"
            ));
            return Ok(());
        }
    };
    match outcome {
        Ok(CountsOutcome::Sent { .. }) => {}
        Ok(CountsOutcome::Revoked) => return Err(device::revoked()),
        Ok(CountsOutcome::Dropped { rows, reason }) => term::warn(&format!(
            "warning: the server refused {rows} counts ({reason}); they are given up"
        )),
        Ok(CountsOutcome::RetryLater { reason }) => term::warn(&format!(
            "warning: {reason}; the counts go with the next sync"
        )),
        Err(e) => term::warn(&format!("warning: the counts were not sent: {e}")),
    }
    Ok(())
}

pub fn sync(ctx: &Context, json: bool, counts: bool) -> Result<Outcome, Failure> {
    let device = enrolled(ctx)?;
    let request = device.start_sync(ctx.now, 0).map_err(device::failure)?;
    let now = || ctx.now;
    let server = device.status(ctx.now).server_url.unwrap_or_default();
    let Some(finished) = exchange(&device, request, &now, None)? else {
        return Err(Failure::other("stopped", "stopped"));
    };
    if counts
        && matches!(
            finished.outcome,
            DeviceOutcome::UpToDate { .. }
                | DeviceOutcome::NothingPublished
                | DeviceOutcome::Updated { .. }
        )
    {
        send_counts(&device, ctx.now)?;
    }
    let status = device.status(ctx.now).list;
    let list_line = match status.list_version {
        Some(version) => format!("list version {version}, {}", entries(status.entry_count)),
        None => "no list".to_owned(),
    };
    let (result, kind, text) = match finished.outcome {
        DeviceOutcome::UpToDate { .. } => ("up_to_date", None, format!("up to date: {list_line}\n")),
        DeviceOutcome::NothingPublished => (
            "nothing_published",
            None,
            "nothing published for this area yet: checks say NO LIST until the server publishes a list\n"
                .to_owned(),
        ),
        DeviceOutcome::Updated {
            kind,
            retried_as_snapshot,
            followed_signing_key,
            fetched_area_key,
            ..
        } => {
            let mut notes = vec![kind_name(kind)];
            if retried_as_snapshot {
                notes.push("after a refused delta");
            }
            if fetched_area_key {
                notes.push("new area key");
            }
            if followed_signing_key {
                notes.push("followed a new signing key");
            }
            (
                "updated",
                Some(kind_name(kind)),
                format!("synced: {list_line} ({})\n", notes.join(", ")),
            )
        }
        DeviceOutcome::Revoked => return Err(device::revoked()),
        DeviceOutcome::RetryLater {
            retry_at_unix,
            reason,
            ..
        } => {
            return Err(unreachable(
                &server,
                &reason,
                finished.no_answer.as_deref(),
                retry_at_unix - ctx.now,
            ));
        }
        DeviceOutcome::Enrolled { .. } => {
            return Err(Failure::other("bad_answer", "unexpected enrolment"));
        }
    };
    let text = if json {
        json!({
            "result": result,
            "kind": kind,
            "list_version": status.list_version,
            "entries": status.has_list.then_some(status.entry_count),
            "key_epoch": status.key_epoch,
        })
        .to_string()
            + "\n"
    } else {
        text
    };
    Ok(Outcome::ok(text))
}

/// `cho-door sync --follow`: waits for each new version (the waiting sync,
/// 60 s at a time) and applies it, one line per version, until Ctrl-C or
/// SIGTERM. Transient failures wait for the core's retry time.
pub fn follow(
    ctx: &Context,
    json: bool,
    counts: bool,
    stop: &AtomicBool,
) -> Result<Outcome, Failure> {
    let device = enrolled(ctx)?;
    let server = device.status(ctx.now).server_url.unwrap_or_default();
    // The clock moves on while following: `--now` (tests) plus the time
    // since the start.
    let started = Instant::now();
    let now = || {
        ctx.now
            .saturating_add(i64::try_from(started.elapsed().as_secs()).unwrap_or(i64::MAX))
    };
    term::warn(&format!("following the list at {server} (Ctrl-C stops)"));
    loop {
        let request = device.start_sync(now(), 60).map_err(device::failure)?;
        let Some(finished) = exchange(&device, request, &now, Some(stop))? else {
            break;
        };
        let synced = matches!(
            finished.outcome,
            DeviceOutcome::UpToDate { .. }
                | DeviceOutcome::NothingPublished
                | DeviceOutcome::Updated { .. }
        );
        match finished.outcome {
            DeviceOutcome::Updated {
                list_version,
                kind,
                entries: count,
                ..
            } => {
                let line = if json {
                    json!({"list_version": list_version, "kind": kind_name(kind), "entries": count})
                        .to_string()
                } else {
                    format!(
                        "list version {list_version} ({}), {}",
                        kind_name(kind),
                        entries(count)
                    )
                };
                term::write_stdout(&format!("{line}\n"));
            }
            DeviceOutcome::Revoked => return Err(device::revoked()),
            DeviceOutcome::RetryLater {
                retry_at_unix,
                reason,
                ..
            } => term::warn(&format!(
                "warning: cannot reach the server at {server} ({reason}); the list in force stays; trying again in {} s",
                retry_at_unix - now()
            )),
            DeviceOutcome::UpToDate { .. }
            | DeviceOutcome::NothingPublished
            | DeviceOutcome::Enrolled { .. } => {}
        }
        if counts && synced {
            send_counts(&device, now())?;
        }
        // Until the next sync is due (at once when the server holds syncs).
        while now() < finished.next_sync_at {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    term::warn("stopped");
    Ok(Outcome::ok(String::new()))
}
