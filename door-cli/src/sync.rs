//! `cho-door enrol` and `cho-door sync`.

use cho_core::checker::{Door, DoorError};
use cho_core::list_format::ListError;
use serde_json::json;

use crate::device::{self, Device};
use crate::http::{self, ListAnswer, Server};
use crate::{Context, Failure, Outcome, term};

/// Trades a one-time code for a credential and the area's keys. With
/// `force`, an existing enrolment is wiped; that happens only once the
/// server has accepted the new code, so a mistyped code leaves a working
/// door as it was.
pub fn enrol(ctx: &Context, url: &str, code: &str, force: bool) -> Result<Outcome, Failure> {
    let dir = &ctx.data_dir;
    if !force && dir.join(device::DEVICE_FILE).exists() {
        let message = match Device::load(dir) {
            Ok(Some(existing)) => format!(
                "this door is already enrolled (device {} at {}): use --force to wipe it and enrol anew",
                existing.device_id, existing.server_url
            ),
            _ => "this door holds a damaged enrolment: use --force to wipe it and enrol anew"
                .to_owned(),
        };
        return Err(Failure::other("already_enrolled", message));
    }
    let server = Server::new(url)?;
    let base = http::normalise_url(url)?;
    if http::plain_http_to_remote(&base) {
        term::warn(
            "warning: plain http to another machine: the credential and the list cross the network unencrypted",
        );
    }
    let enrolment = server.enrol(code)?;

    device::create_dir(dir)?;
    // Not enrolled while the old enrolment is wiped and the new one stored:
    // device.json is written last.
    Device::remove(dir)?;
    let mut door = device::open_door(dir, &enrolment.signing_public_key)?;
    let storage = |e: DoorError| Failure::other("storage", format!("cannot store the keys: {e}"));
    door.wipe().map_err(storage)?;
    door.set_area_key(
        enrolment.area_id,
        enrolment.key_epoch,
        &enrolment.identity_key,
        true,
    )
    .map_err(storage)?;
    let device = Device {
        server_url: base.clone(),
        device_id: enrolment.device_id,
        area_id: enrolment.area_id,
        credential: enrolment.credential,
        signing_public_key: base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &enrolment.signing_public_key,
        ),
    };
    device.save(dir)?;
    Ok(Outcome::ok(format!(
        "enrolled: device {} in area {} (key epoch {}) at {base}\nnext: cho-door sync\n",
        device.device_id, device.area_id, enrolment.key_epoch
    )))
}

/// How a sync ended.
enum Synced {
    Current,
    NothingPublished,
    Updated { kind: String, retried: bool },
}

pub fn sync(ctx: &Context, json: bool) -> Result<Outcome, Failure> {
    let dir = &ctx.data_dir;
    let device = Device::require(dir)?;
    let mut door = device.open_door(dir)?;
    if let Some(reason) = door.stored_list_refused() {
        term::warn(&format!(
            "warning: the stored list was not used ({reason}): fetching a full list"
        ));
    }
    let server = Server::new(&device.server_url)?;
    let synced = fetch_and_apply(&server, &device, &mut door, ctx.now)?;
    // The door followed a new list-signing key announced by the old one:
    // pin it in device.json too.
    let trusted = door.trusted_public_key();
    if device.public_key()? != trusted {
        let device = Device {
            signing_public_key: base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                trusted,
            ),
            ..device
        };
        device.save(dir)?;
    }

    let status = door.status(ctx.now);
    let list = status.list.as_ref();
    let version = list.map(|l| l.header.version);
    let entries = list.map(|l| l.entries);
    let (result, kind) = match &synced {
        Synced::Current => ("up_to_date", None),
        Synced::NothingPublished => ("nothing_published", None),
        Synced::Updated { kind, .. } => ("updated", Some(kind.as_str())),
    };
    let text = if json {
        json!({
            "result": result,
            "kind": kind,
            "list_version": version,
            "entries": entries,
            "key_epoch": list.map(|l| l.header.key_epoch),
        })
        .to_string()
            + "\n"
    } else {
        let list_line = match list {
            Some(l) => format!(
                "list version {}, {} {}",
                l.header.version,
                l.entries,
                if l.entries == 1 { "entry" } else { "entries" }
            ),
            None => "no list".to_owned(),
        };
        match &synced {
            Synced::Current => format!("up to date: {list_line}\n"),
            Synced::NothingPublished => {
                "nothing published for this area yet: checks say NO LIST until the server publishes a list\n"
                    .to_owned()
            }
            Synced::Updated { kind, retried } => format!(
                "synced: {list_line} ({kind}{})\n",
                if *retried {
                    ", after a refused delta"
                } else {
                    ""
                }
            ),
        }
    };
    Ok(Outcome::ok(text))
}

/// Asks for what follows the version in force, fetches a new area key
/// first when the list is of an epoch the door does not hold, and applies
/// the update. A delta refused for a version gap or a digest mismatch is
/// retried once as a full snapshot.
fn fetch_and_apply(
    server: &Server,
    device: &Device,
    door: &mut Door,
    now: i64,
) -> Result<Synced, Failure> {
    let mut have = door.status(now).list.map_or(0, |l| l.header.version);
    let mut retried = false;
    // Set once a list that announced a new signing key was applied: the
    // next request fetches what the new key signed.
    let mut followed: Option<String> = None;
    loop {
        let answer = server.list(&device.credential, have, &door.trusted_public_key())?;
        let (kind, key_epoch, bytes) = match (answer, followed.take()) {
            (ListAnswer::Current | ListAnswer::NothingPublished, Some(kind)) => {
                return Ok(Synced::Updated { kind, retried });
            }
            (ListAnswer::Current, None) => return Ok(Synced::Current),
            (ListAnswer::NothingPublished, None) => return Ok(Synced::NothingPublished),
            (
                ListAnswer::Update {
                    kind,
                    key_epoch,
                    bytes,
                },
                _,
            ) => (kind, key_epoch, bytes),
        };
        if let Some(epoch) = key_epoch
            && !door.status(now).key_epochs.contains(&epoch)
        {
            fetch_key(server, device, door)?;
        }
        let key_before = door.trusted_public_key();
        match door.apply_update(bytes, now) {
            Ok(()) if door.trusted_public_key() != key_before => {
                have = door.status(now).list.map_or(0, |l| l.header.version);
                followed = Some(kind);
            }
            Ok(()) => return Ok(Synced::Updated { kind, retried }),
            Err(DoorError::List(ListError::VersionGap { .. } | ListError::DigestMismatch))
                if !retried && have != 0 =>
            {
                retried = true;
                have = 0;
            }
            Err(e) => {
                return Err(Failure::other(
                    "list_refused",
                    format!("the server's list was refused: {e}; the list in force stays"),
                ));
            }
        }
    }
}

/// After a key rotation: the area's key of the current epoch.
fn fetch_key(server: &Server, device: &Device, door: &mut Door) -> Result<(), Failure> {
    let key = server.key(&device.credential)?;
    if key.area_id != device.area_id {
        return Err(Failure::other(
            "bad_answer",
            format!(
                "the server sent a key for area {}, this door is in area {}",
                key.area_id, device.area_id
            ),
        ));
    }
    door.set_area_key(key.area_id, key.key_epoch, &key.identity_key, true)
        .map_err(|e| Failure::other("storage", format!("cannot store the new area key: {e}")))
}
