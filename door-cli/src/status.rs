//! `cho-door status`: the enrolment and the list in force, offline. Never
//! shows the credential.

use serde_json::json;

use cho_core::device::EnrolmentState;

use crate::device;
use crate::term::{self, Colour, Paint};
use crate::{Context, Failure, Outcome};

pub fn run(ctx: &Context, json: bool) -> Result<Outcome, Failure> {
    let dir = &ctx.data_dir;
    let not_enrolled = |revoked: Option<(i64, String)>| {
        if json {
            json!({
                "enrolled": false,
                "revoked": revoked.is_some(),
                "data_dir": dir.display().to_string(),
            })
            .to_string()
                + "\n"
        } else {
            match revoked {
                Some((id, url)) => format!(
                    "enrolled:   no: device {id} at {url} was REVOKED by the server; its keys, list and credential are wiped: enrol again with a new code\n"
                ),
                None => format!(
                    "enrolled:   no (data directory {}): run {}\n",
                    dir.display(),
                    device::ENROL_HINT
                ),
            }
        }
    };
    if !device::has_state(dir) {
        return Ok(Outcome::ok(not_enrolled(None)));
    }
    let door_device = device::open(dir)?;
    let enrolment = door_device.status(ctx.now);
    let device_id = enrolment.device_id.unwrap_or_default();
    let server_url = enrolment.server_url.clone().unwrap_or_default();
    let area_id = enrolment.area_id.unwrap_or_default();
    match enrolment.state {
        EnrolmentState::Enrolled => {}
        EnrolmentState::Revoked => {
            return Ok(Outcome::ok(not_enrolled(Some((device_id, server_url)))));
        }
        EnrolmentState::NotEnrolled => return Ok(Outcome::ok(not_enrolled(None))),
    }
    door_device.with_door(|door| {
        let Some(door) = door else {
            return Ok(Outcome::ok(not_enrolled(None)));
        };
        report(ctx, door, json, &enrolment, device_id, &server_url, area_id)
    })
}

fn report(
    ctx: &Context,
    door: &cho_core::checker::Door,
    json: bool,
    enrolment: &cho_core::device::DeviceStatus,
    device_id: i64,
    server_url: &str,
    area_id: u64,
) -> Result<Outcome, Failure> {
    let dir = &ctx.data_dir;
    let status = door.status(ctx.now);
    let refused = door.stored_list_refused();
    if json {
        let list = status.list.as_ref().map(|l| {
            json!({
                "version": l.header.version,
                "entries": l.entries,
                "key_epoch": l.header.key_epoch,
                "issued_at": l.header.issued_at,
                "age_seconds": l.age_seconds,
                "max_age_seconds": l.header.max_age_seconds,
                "outdated": l.outdated,
                "clock_behind_seconds": l.clock_behind_seconds,
            })
        });
        let value = json!({
            "enrolled": true,
            "data_dir": dir.display().to_string(),
            "server_url": server_url,
            "device_id": device_id,
            "area_id": area_id,
            "signing_key_fingerprint": enrolment.signing_key_fingerprint,
            "failures": enrolment.failures,
            "next_attempt_at": enrolment.next_attempt_at_unix,
            "key_epochs": status.key_epochs,
            "list": list,
            "stored_list_refused": refused,
        });
        return Ok(Outcome::ok(value.to_string() + "\n"));
    }

    let paint = Paint::for_stdout();
    let epochs = if status.key_epochs.is_empty() {
        paint.colour(Colour::Yellow, "none: enrol again")
    } else {
        status
            .key_epochs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "enrolled:   yes, device {} at {}\narea:       {}\nkey epochs: {epochs}\n",
        device_id, server_url, area_id
    );
    if let Some(fingerprint) = &enrolment.signing_key_fingerprint {
        out.push_str(&format!("signing key: {fingerprint}\n"));
    }
    if enrolment.failures > 0 {
        out.push_str(&format!(
            "retries:    {} failed attempts in a row\n",
            enrolment.failures
        ));
    }
    match &status.list {
        Some(l) => {
            out.push_str(&format!(
                "list:       version {}, {} {}, key epoch {}\n",
                l.header.version,
                l.entries,
                if l.entries == 1 { "entry" } else { "entries" },
                l.header.key_epoch
            ));
            out.push_str(&format!(
                "issued:     {}, {} ago\n",
                term::utc(l.header.issued_at),
                term::duration(l.age_seconds)
            ));
            let freshness = if l.outdated {
                paint.strong(Colour::Yellow, "OUTDATED: sync")
            } else {
                paint.colour(Colour::Green, "current")
            };
            out.push_str(&format!(
                "freshness:  {freshness} (maximum age {})\n",
                term::duration(u64::from(l.header.max_age_seconds))
            ));
            let clock = match l.clock_behind_seconds {
                Some(behind) => paint.strong(
                    Colour::Yellow,
                    &format!(
                        "{} behind the list's issue time: set the clock",
                        term::duration(behind)
                    ),
                ),
                None => "ok".to_owned(),
            };
            out.push_str(&format!("clock:      {clock}\n"));
        }
        None => out.push_str(&format!(
            "list:       {}\n",
            paint.colour(Colour::Yellow, "none: sync")
        )),
    }
    if let Some(reason) = refused {
        out.push_str(&format!(
            "warning:    the stored list was not used ({reason}): sync\n"
        ));
    }
    Ok(Outcome::ok(out))
}
