//! `cho-door status`: the enrolment and the list in force, offline. Never
//! shows the credential.

use serde_json::json;

use crate::device::Device;
use crate::term::{self, Colour, Paint};
use crate::{Context, Failure, Outcome};

pub fn run(ctx: &Context, json: bool) -> Result<Outcome, Failure> {
    let dir = &ctx.data_dir;
    let Some(device) = Device::load(dir)? else {
        let text = if json {
            json!({"enrolled": false, "data_dir": dir.display().to_string()}).to_string() + "\n"
        } else {
            format!(
                "enrolled:   no (data directory {}): run `cho-door enrol URL CODE`\n",
                dir.display()
            )
        };
        return Ok(Outcome::ok(text));
    };
    let door = device.open_door(dir)?;
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
            "server_url": device.server_url,
            "device_id": device.device_id,
            "area_id": device.area_id,
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
        device.device_id, device.server_url, device.area_id
    );
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
