//! Issuing, reading, finding and revoking bans.
//!
//! A ban's person is read once, at issue: from the MRZ (the BSN fields are
//! dropped unread by cho-core) or from typed names. The names and birth date
//! are sealed under the master key; only identity tokens stay in the clear,
//! so lists can be built and an earlier ban of the same person found by exact
//! token match, never by searching names.

use cho_core::identity::{Identity, IdentityKey, MatchStrength};
use serde::{Deserialize, Serialize};
use time::Date;

use super::admin::identity_key_aad;
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::ban::{self, BanStatus, PersonalData};
use crate::domain::notice::NoticeMethod;
use crate::domain::repeat::{self, RepeatRule};
use crate::domain::roles::{Actor, Role};
use crate::storage::bans::{self as store, BanFilter, BanRow, NewBan, NewNotice, StoredToken};
use crate::storage::{WriteTx, areas, venues};

/// Who the ban is for, as the owner enters it.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum PersonInput {
    Mrz {
        mrz: String,
    },
    Manual {
        surname: String,
        given_names: String,
        birth_date: String,
    },
}

pub struct Hearing {
    pub statement: Option<String>,
    pub not_heard_reason: Option<String>,
}

/// A notice as its recorder enters it.
pub struct NoticeInput {
    pub notified_on: Date,
    pub method: NoticeMethod,
    /// May name people: sealed.
    pub note: Option<String>,
}

pub struct IssueBan {
    pub venue_id: i64,
    pub category_id: i64,
    pub person: PersonInput,
    pub incident_at: i64,
    pub incident_description: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub hearing: Hearing,
    pub notice: Option<NoticeInput>,
}

/// A person resolved for hashing and for sealing.
pub(crate) struct Person {
    pub(crate) identity: Identity,
    pub(crate) surname: String,
    pub(crate) given_names: String,
    pub(crate) birth_date: Date,
    pub(crate) name_truncated: bool,
}

pub(crate) fn read_person(input: &PersonInput, today: Date) -> AppResult<Person> {
    let invalid = |e: &dyn std::fmt::Display| AppError::Invalid(format!("person: {e}"));
    let person = match input {
        PersonInput::Mrz { mrz } => {
            let doc = cho_core::mrz::parse(mrz).map_err(|e| invalid(&e))?;
            let identity = Identity::from_mrz(&doc, today).map_err(|e| invalid(&e))?;
            Person {
                birth_date: identity.birth_date(),
                name_truncated: doc.name_truncated,
                surname: doc.surname,
                given_names: doc.given_names,
                identity,
            }
        }
        PersonInput::Manual {
            surname,
            given_names,
            birth_date,
        } => {
            let identity =
                Identity::from_manual(surname, given_names, birth_date).map_err(|e| invalid(&e))?;
            Person {
                birth_date: identity.birth_date(),
                name_truncated: false,
                surname: surname.trim().to_owned(),
                given_names: given_names.trim().to_owned(),
                identity,
            }
        }
    };
    ban::plausible_birth_date(person.birth_date, today)?;
    Ok(person)
}

/// A ban's record id: random, fixed before the row is inserted.
const RECORD_ID_LEN: usize = 16;

/// The associated data of a ban's sealed personal data: its area and its
/// record id, so the blob opens only in the row it was sealed for, not in
/// another ban it was copied or swapped into.
pub(crate) fn personal_data_aad(area_id: i64, record_id: &[u8]) -> Vec<u8> {
    let mut aad = format!("cho-ban-personal-data/2:{area_id}:").into_bytes();
    aad.extend_from_slice(record_id);
    aad
}

/// The associated data of a sealed free-text field of a ban (the notice's
/// note, a revocation or refusal reason): bound to the field, the area and
/// the record id like the personal data, so a blob opens only where it was
/// sealed.
fn ban_text_aad(field: &str, area_id: i64, record_id: &[u8]) -> Vec<u8> {
    let mut aad = format!("cho-ban-text/1:{field}:{area_id}:").into_bytes();
    aad.extend_from_slice(record_id);
    aad
}

/// Seals a free text about a ban that may name people. `field` names what
/// it is (`notice_note`, `status_reason`, ...).
pub(crate) fn seal_ban_text(
    app: &App,
    area_id: i64,
    record_id: &[u8],
    field: &str,
    text: &str,
) -> AppResult<Vec<u8>> {
    Ok(app
        .master_key()
        .seal(&ban_text_aad(field, area_id, record_id), text.as_bytes())?)
}

/// Opens what `seal_ban_text` sealed for this ban's row.
pub(crate) fn open_ban_text(
    app: &App,
    row: &BanRow,
    field: &str,
    sealed: &[u8],
) -> AppResult<String> {
    let record_id = row
        .record_id
        .as_deref()
        .ok_or(AppError::Internal("ban without record id"))?;
    let plain = app
        .master_key()
        .open(&ban_text_aad(field, row.area_id, record_id), sealed)?;
    String::from_utf8(plain).map_err(|_| AppError::Internal("sealed text encoding"))
}

/// Rows sealed before record ids (migration 0032) were bound to the area
/// only; read once, at start, to re-seal them.
fn legacy_personal_data_aad(area_id: i64) -> Vec<u8> {
    format!("cho-ban-personal-data:{area_id}").into_bytes()
}

pub(crate) fn new_record_id() -> AppResult<[u8; RECORD_ID_LEN]> {
    let mut id = [0u8; RECORD_ID_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
        .map_err(|_| AppError::Internal("random"))?;
    Ok(id)
}

/// The area's current identity key, unsealed.
pub(crate) async fn identity_key(app: &App, area_id: i64) -> AppResult<(i64, IdentityKey)> {
    identity_key_on(app, app.db.pool(), area_id).await
}

/// [`identity_key`] read on `conn`: inside a write, its own connection.
pub(crate) async fn identity_key_on<'c, E>(
    app: &App,
    conn: E,
    area_id: i64,
) -> AppResult<(i64, IdentityKey)>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (epoch, sealed) = areas::current_identity_key(conn, area_id)
        .await?
        .ok_or(AppError::Internal("area has no identity key"))?;
    // The raw key is wiped when dropped; the IdentityKey keeps its own copy.
    let raw = zeroize::Zeroizing::new(
        app.master_key()
            .open(&identity_key_aad(area_id, epoch), &sealed)?,
    );
    let key =
        IdentityKey::from_bytes(&raw).map_err(|_| AppError::Internal("identity key length"))?;
    Ok((epoch, key))
}

pub(crate) fn ban_event(
    actor: &Actor,
    action: &'static str,
    ban_id: i64,
    area_id: i64,
) -> AuditEvent {
    AuditEvent {
        actor: actor.audit_name(),
        action,
        object_type: "ban",
        object_id: ban_id.to_string(),
        area_id: Some(area_id),
    }
}

/// An owner issues a ban for an incident at their venue; or the area's
/// beheerder records one on the venue owner's instruction (KHN's practice:
/// active at once, marked `on_behalf`). In a four-eyes area an owner's ban
/// is `requested`: on no list until the beheerder approves it. The area's
/// repeat rules may set the period (see `domain::repeat`).
pub async fn issue(app: &App, actor: &Actor, input: IssueBan) -> AppResult<i64> {
    issue_as(app, actor, input, None).await
}

/// The owner's ban form: only an owner, at their own venue.
pub async fn issue_at_own_venue(app: &App, actor: &Actor, input: IssueBan) -> AppResult<i64> {
    issue_as(app, actor, input, Some(Role::Owner)).await
}

/// The beheerder's ban form: only the beheerder, on a venue owner's
/// instruction.
pub async fn issue_on_behalf(app: &App, actor: &Actor, input: IssueBan) -> AppResult<i64> {
    issue_as(app, actor, input, Some(Role::Beheerder)).await
}

async fn issue_as(app: &App, actor: &Actor, input: IssueBan, only: Option<Role>) -> AppResult<i64> {
    if only.is_some_and(|role| role != actor.role) {
        return Err(AppError::Forbidden);
    }
    let on_behalf = match actor.role {
        Role::Owner if actor.venue_ids.contains(&input.venue_id) => false,
        Role::Beheerder => true,
        _ => return Err(AppError::Forbidden),
    };
    let today = app.clock.today();
    let venue = venues::venue(&app.db, input.venue_id).await?;
    // A beheerder records bans for the venues of their own area only; a
    // venue elsewhere is refused like one that does not exist for them.
    let venue = match venue {
        Some(v) if !on_behalf || actor.manages_area(v.area_id) => v,
        Some(_) => return Err(AppError::Forbidden),
        None => return Err(AppError::NotFound("venue")),
    };
    let area = areas::area(&app.db, venue.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let review = areas::review_rules(&app.db, area.id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    ban::may_issue(
        area.permit.as_ref(),
        venue.admitted_on,
        venue.withdrawn_on,
        today,
    )?;
    let category = areas::category(&app.db, input.category_id)
        .await?
        .filter(|c| c.area_id == area.id)
        .ok_or_else(|| {
            AppError::Invalid("category_id is not a category of this area's protocol".to_owned())
        })?;
    // A retired category keeps its bans, but no new ban may choose it.
    if category.retired_on.is_some() {
        return Err(AppError::Invalid(
            "category_id is a retired category of this area's protocol".to_owned(),
        ));
    }
    let incident_day = cho_core::dates::door_date(input.incident_at)
        .map_err(|_| AppError::Invalid("incident_at is out of range".to_owned()))?;
    let (starts_on, mut ends_on) = ban::ban_period(
        &category.durations,
        incident_day,
        today,
        input.starts_on,
        input.ends_on,
    )?;
    let description =
        ban::text(&input.incident_description, "incident_description", true)?.unwrap_or_default();
    let statement = input
        .hearing
        .statement
        .as_deref()
        .map(|s| ban::text(s, "hearing statement", false))
        .transpose()?
        .flatten();
    let not_heard_reason = input
        .hearing
        .not_heard_reason
        .as_deref()
        .map(|s| ban::text(s, "not_heard_reason", false))
        .transpose()?
        .flatten();
    if statement.is_none() && not_heard_reason.is_none() {
        return Err(ban::BanRuleError::HearingMissing.into());
    }
    if let Some(n) = &input.notice
        && (n.notified_on < incident_day || n.notified_on > today)
    {
        return Err(AppError::Invalid(
            "notified_on must lie between the incident and today".to_owned(),
        ));
    }
    let notice_note = match &input.notice {
        Some(n) => n
            .note
            .as_deref()
            .map(|t| ban::text(t, "notice note", false))
            .transpose()?
            .flatten(),
        None => None,
    };
    let person = read_person(&input.person, today)?;
    let (epoch, key) = identity_key(app, area.id).await?;
    let tokens = stored_tokens(&person.identity, &key, epoch);
    // The repeat rules: the same person's standing bans in the area, found
    // by full-identity tokens only (a possible match may be someone else,
    // and nobody's ban is lengthened on a guess).
    let repeat = match review.repeat {
        r if r.breach_days.is_none() && r.repeat_count.is_none() => None,
        rules => {
            let earlier = earlier_bans(app, area.id, &person.identity, &key).await?;
            repeat::apply(
                &rules,
                &earlier,
                incident_day,
                today,
                category.durations.max_days,
            )
        }
    };
    if let Some(outcome) = repeat {
        // The protocol sets the duration; the start stays as chosen.
        ends_on = ban::last_day(starts_on, outcome.days);
    }
    let personal = PersonalData {
        surname: person.surname,
        given_names: person.given_names,
        birth_date: cho_core::dates::format_iso_date(person.birth_date),
        incident_description: description,
        hearing_statement: statement.clone(),
        not_heard_reason,
    };
    let json =
        serde_json::to_vec(&personal).map_err(|_| AppError::Internal("personal data encoding"))?;
    let record_id = new_record_id()?;
    let sealed = app
        .master_key()
        .seal(&personal_data_aad(area.id, &record_id), &json)?;
    let sealed_note = notice_note
        .as_deref()
        .map(|t| seal_ban_text(app, area.id, &record_id, NOTICE_NOTE, t))
        .transpose()?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = store::insert(
        &mut tx,
        &NewBan {
            area_id: area.id,
            venue_id: venue.id,
            category_id: category.id,
            issued_by: actor.account_id,
            starts_on,
            ends_on,
            incident_at: input.incident_at,
            heard: statement.is_some(),
            notice: input.notice.as_ref().map(|n| NewNotice {
                notified_on: n.notified_on,
                method: n.method,
                sealed_note: sealed_note.as_deref(),
            }),
            name_truncated: person.name_truncated,
            sealed_personal_data: &sealed,
            record_id: &record_id,
            requested: review.four_eyes && !on_behalf,
            repeat_rule: repeat.map(|o| o.rule.as_str()),
            on_behalf,
        },
        &tokens,
    )
    .await?;
    let action = if on_behalf {
        "ban.issue_on_behalf"
    } else {
        "ban.issue"
    };
    tx.audit(ban_event(actor, action, id, area.id)).await?;
    tx.commit().await?;
    Ok(id)
}

/// The repeat rules applied to a stored (requested) ban as of `today`: the
/// person's standing bans on that day, from its sealed identity (opened in
/// memory only, like every read of a ban). Four-eyes approval uses it, so
/// a ban approved later gets the rule's period as of the approval.
pub(crate) async fn repeat_for_stored(
    app: &App,
    row: &BanRow,
    rules: &repeat::RepeatRules,
    category_max_days: i64,
) -> AppResult<Option<repeat::RepeatOutcome>> {
    if rules.breach_days.is_none() && rules.repeat_count.is_none() {
        return Ok(None);
    }
    let person = open_personal_data(app, row)?;
    let identity = stored_identity(&person, row)?;
    let (_, key) = identity_key(app, row.area_id).await?;
    let incident_day = cho_core::dates::door_date(row.incident_at)
        .map_err(|_| AppError::Internal("ban incident time"))?;
    let earlier = earlier_bans(app, row.area_id, &identity, &key).await?;
    Ok(repeat::apply(
        rules,
        &earlier,
        incident_day,
        app.clock.today(),
        category_max_days,
    ))
}

/// The bans of this person in the area that stand (active or expired),
/// found by full-identity match: what the repeat rules count.
async fn earlier_bans(
    app: &App,
    area_id: i64,
    identity: &Identity,
    key: &IdentityKey,
) -> AppResult<Vec<repeat::EarlierBan>> {
    let today = app.clock.today();
    let probes: Vec<([u8; 16], MatchStrength)> = identity
        .probes(key)
        .iter()
        .map(|p| (p.token.0, p.confidence))
        .collect();
    let mut out = Vec::new();
    for (id, strength) in matches(app, area_id, &probes).await? {
        if strength != MatchStrength::Banned {
            continue;
        }
        if let Some(row) = store::ban(&app.db, id).await?
            && matches!(row.status(today)?, BanStatus::Active | BanStatus::Expired)
        {
            out.push(repeat::EarlierBan {
                starts_on: row.starts_on,
                ends_on: row.ends_on,
            });
        }
    }
    Ok(out)
}

/// The repeat rule that set a ban's period: all an issuing owner is told
/// of the person's other bans (never which, or where).
#[derive(Serialize)]
pub struct RepeatView {
    pub rule: RepeatRule,
    /// The duration the protocol set.
    pub days: i64,
}

/// A ban as its reader may see it.
#[derive(Serialize)]
pub struct BanView {
    pub id: i64,
    pub area_id: i64,
    pub venue_id: i64,
    pub category_id: i64,
    pub status: BanStatus,
    pub starts_on: String,
    pub ends_on: String,
    pub incident_at: i64,
    pub heard: bool,
    /// How and when the person was told; `None`: no notice recorded yet.
    pub notice: Option<NoticeView>,
    /// Why it was revoked, overturned or (four-eyes) rejected; a sealed
    /// rejection reason only for a reader of personal data.
    pub status_reason: Option<String>,
    /// The repeat rule that set the period, if any.
    pub repeat: Option<RepeatView>,
    /// Recorded by the beheerder on the venue owner's instruction.
    pub on_behalf: bool,
    pub name_truncated: bool,
    pub issued_at: i64,
    pub person: Option<PersonView>,
    /// For the beheerder: other bans in the area with the same identity.
    pub related_bans: Option<Vec<RelatedBan>>,
}

#[derive(Serialize)]
pub struct NoticeView {
    pub notified_on: String,
    pub method: NoticeMethod,
    /// Only for a reader of personal data.
    pub note: Option<String>,
    pub recorded_at: Option<i64>,
}

#[derive(Serialize)]
pub struct PersonView {
    pub surname: String,
    pub given_names: String,
    pub birth_date: String,
    pub incident_description: String,
    pub hearing_statement: Option<String>,
    pub not_heard_reason: Option<String>,
}

#[derive(Serialize)]
pub struct RelatedBan {
    pub ban_id: i64,
    /// `same_person` (full identity) or `possible_match`.
    pub r#match: &'static str,
}

pub(crate) fn may_handle(actor: &Actor, ban: &BanRow) -> bool {
    actor.handles_venue_bans(ban.area_id, ban.venue_id)
}

/// A ban the caller handles. One outside their scope is "not found",
/// exactly like a missing one, so ban ids do not leak (a refusal for the
/// role as such, 403, comes before the lookup and says nothing either).
pub(crate) async fn in_scope(app: &App, actor: &Actor, id: i64) -> AppResult<BanRow> {
    store::ban(&app.db, id)
        .await?
        .filter(|row| may_handle(actor, row))
        .ok_or(AppError::NotFound("ban"))
}

/// A person's ban tokens under the area key of `epoch`, as stored.
pub(crate) fn stored_tokens(
    identity: &Identity,
    key: &IdentityKey,
    epoch: i64,
) -> Vec<StoredToken> {
    identity
        .ban_tokens(key)
        .into_iter()
        .map(|(token, strength)| StoredToken {
            key_epoch: epoch,
            token: token.0,
            strength: strength.to_byte(),
        })
        .collect()
}

/// The identity of a ban's opened personal data, as it was hashed.
pub(crate) fn stored_identity(person: &PersonalData, row: &BanRow) -> AppResult<Identity> {
    Identity::from_stored(
        &person.surname,
        &person.given_names,
        &person.birth_date,
        row.name_truncated,
    )
    .map_err(|_| AppError::Internal("stored identity no longer canonicalises"))
}

/// Opens a ban's sealed personal data; fails (a 500, naming nobody) when
/// the blob was sealed for another row.
pub(crate) fn open_personal_data(app: &App, row: &BanRow) -> AppResult<PersonalData> {
    let record_id = row
        .record_id
        .as_deref()
        .ok_or(AppError::Internal("ban has no record id"))?;
    let plain = app.master_key().open(
        &personal_data_aad(row.area_id, record_id),
        &row.sealed_personal_data,
    )?;
    decode_personal_data(&plain)
}

fn decode_personal_data(plain: &[u8]) -> AppResult<PersonalData> {
    serde_json::from_slice(plain).map_err(|_| AppError::Internal("personal data decoding"))
}

/// Checks that a ban's personal data hashes, under the area key of `epoch`,
/// to exactly the tokens stored for that ban. A sealed record moved into
/// another ban together with its record id opens there, but fails this:
/// nothing is then re-hashed or re-sealed from the wrong person.
pub(crate) async fn check_tokens(
    tx: &mut WriteTx,
    row: &BanRow,
    person: &PersonalData,
    key: &IdentityKey,
    epoch: i64,
) -> AppResult<()> {
    let identity = stored_identity(person, row)?;
    let mut expected: Vec<([u8; 16], u8)> = stored_tokens(&identity, key, epoch)
        .into_iter()
        .map(|t| (t.token, t.strength))
        .collect();
    let mut stored = store::tokens_at_epoch(tx, row.id, epoch).await?;
    expected.sort_unstable();
    stored.sort_unstable();
    if expected != stored {
        tracing::error!(
            ban = row.id,
            "sealed personal data does not match the ban's tokens: moved from another ban?"
        );
        return Err(AppError::Internal(
            "sealed personal data does not belong to this ban",
        ));
    }
    Ok(())
}

/// What re-sealing the rows of an older version found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    pub resealed: usize,
    /// Rows that did not open or did not match their tokens: left
    /// unreadable (no record id), logged by ban id.
    pub refused: usize,
}

/// The field name binding a notice's sealed note.
pub(crate) const NOTICE_NOTE: &str = "notice_note";

/// The field name binding a sealed revocation, refusal or decision reason.
pub(crate) const STATUS_REASON: &str = "status_reason";

/// At start: the plain status reasons of earlier versions are sealed
/// (migration 0111). One audit event per ban.
pub async fn seal_legacy_status_reasons(app: &App) -> AppResult<usize> {
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let rows = store::with_legacy_status_reason(&mut tx).await?;
    let mut sealed_count = 0;
    for row in &rows {
        let (Some(text), Some(record_id)) = (&row.legacy_status_reason, &row.record_id) else {
            continue;
        };
        let sealed = seal_ban_text(app, row.area_id, record_id, STATUS_REASON, text)?;
        if store::seal_legacy_status_reason(&mut tx, row.id, &sealed).await? {
            tx.audit(AuditEvent {
                actor: "system".to_owned(),
                action: "ban.status_reason.seal",
                object_type: "ban",
                object_id: row.id.to_string(),
                area_id: Some(row.area_id),
            })
            .await?;
            sealed_count += 1;
        }
    }
    tx.commit().await?;
    Ok(sealed_count)
}

/// At start (after `reseal_legacy`): the free-text notification methods of
/// the first version are sealed into the notice's note (migration 0070 kept
/// them only for this). One audit event per ban.
pub async fn seal_legacy_notice_texts(app: &App) -> AppResult<usize> {
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let rows = store::with_legacy_notice_text(&mut tx).await?;
    let mut sealed_count = 0;
    for row in &rows {
        let (Some(text), Some(record_id)) = (&row.legacy_notice_text, &row.record_id) else {
            continue;
        };
        let sealed = seal_ban_text(app, row.area_id, record_id, NOTICE_NOTE, text)?;
        if store::seal_legacy_notice_text(&mut tx, row.id, &sealed).await? {
            tx.audit(AuditEvent {
                actor: "system".to_owned(),
                action: "ban.notice.seal",
                object_type: "ban",
                object_id: row.id.to_string(),
                area_id: Some(row.area_id),
            })
            .await?;
            sealed_count += 1;
        }
    }
    tx.commit().await?;
    Ok(sealed_count)
}

/// At start: every ban sealed before record ids is re-sealed under a fresh
/// record id, once its data is checked against its tokens. One audit event
/// per ban.
pub async fn reseal_legacy(app: &App) -> AppResult<Resealed> {
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let rows = store::without_record_id(&mut tx).await?;
    let mut report = Resealed::default();
    let mut keys: std::collections::HashMap<i64, (i64, IdentityKey)> =
        std::collections::HashMap::new();
    for row in &rows {
        let (epoch, key) = match keys.entry(row.area_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(identity_key_on(app, tx.conn(), row.area_id).await?)
            }
        };
        let checked = match app.master_key().open(
            &legacy_personal_data_aad(row.area_id),
            &row.sealed_personal_data,
        ) {
            Ok(plain) => match decode_personal_data(&plain) {
                Ok(person) => check_tokens(&mut tx, row, &person, key, *epoch)
                    .await
                    .map(|()| plain),
                Err(e) => Err(e),
            },
            Err(e) => Err(e.into()),
        };
        let plain = match checked {
            Ok(plain) => zeroize::Zeroizing::new(plain),
            Err(_) => {
                tracing::error!(
                    ban = row.id,
                    "legacy sealed personal data refused: left unreadable"
                );
                report.refused += 1;
                continue;
            }
        };
        let record_id = new_record_id()?;
        let sealed = app
            .master_key()
            .seal(&personal_data_aad(row.area_id, &record_id), &plain)?;
        if store::set_record_id(&mut tx, row.id, &record_id, &sealed).await? {
            tx.audit(AuditEvent {
                actor: "system".to_owned(),
                action: "ban.reseal",
                object_type: "ban",
                object_id: row.id.to_string(),
                area_id: Some(row.area_id),
            })
            .await?;
            report.resealed += 1;
        }
    }
    tx.commit().await?;
    if report.resealed > 0 || report.refused > 0 {
        tracing::info!(
            resealed = report.resealed,
            refused = report.refused,
            "bans re-sealed under their record ids"
        );
    }
    Ok(report)
}

pub(crate) fn view(app: &App, row: &BanRow, with_person: bool) -> AppResult<BanView> {
    let today = app.clock.today();
    let person = if with_person {
        let p = open_personal_data(app, row)?;
        Some(PersonView {
            surname: p.surname,
            given_names: p.given_names,
            birth_date: p.birth_date,
            incident_description: p.incident_description,
            hearing_statement: p.hearing_statement,
            not_heard_reason: p.not_heard_reason,
        })
    } else {
        None
    };
    Ok(BanView {
        id: row.id,
        area_id: row.area_id,
        venue_id: row.venue_id,
        category_id: row.category_id,
        status: row.status(today)?,
        starts_on: cho_core::dates::format_iso_date(row.starts_on),
        ends_on: cho_core::dates::format_iso_date(row.ends_on),
        incident_at: row.incident_at,
        heard: row.heard,
        notice: row
            .notice
            .as_ref()
            .map(|n| -> AppResult<NoticeView> {
                Ok(NoticeView {
                    notified_on: cho_core::dates::format_iso_date(n.notified_on),
                    method: n.method,
                    note: match (&n.sealed_note, with_person) {
                        (Some(sealed), true) => Some(open_ban_text(app, row, NOTICE_NOTE, sealed)?),
                        _ => None,
                    },
                    recorded_at: n.recorded_at,
                })
            })
            .transpose()?,
        // A reason may name people: only with the personal data.
        status_reason: match (&row.sealed_status_reason, with_person) {
            (Some(sealed), true) => Some(open_ban_text(app, row, STATUS_REASON, sealed)?),
            _ => None,
        },
        repeat: row
            .repeat_rule
            .as_deref()
            .and_then(RepeatRule::parse)
            .map(|rule| RepeatView {
                rule,
                days: ban::duration_days(row.starts_on, row.ends_on),
            }),
        on_behalf: row.on_behalf,
        name_truncated: row.name_truncated,
        issued_at: row.created_at,
        person,
        related_bans: None,
    })
}

/// Reads one ban with its personal data: an audited read.
pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<BanView> {
    if !actor.may_read_personal_data() {
        return Err(AppError::Forbidden);
    }
    let row = in_scope(app, actor, id).await?;
    let mut v = view(app, &row, true)?;
    if actor.role == Role::Beheerder {
        v.related_bans = Some(related(app, &row).await?);
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit_naming_bans(ban_event(actor, "ban.read", id, row.area_id), &[id])
        .await?;
    tx.commit().await?;
    Ok(v)
}

/// A ban without its personal data (no audit event: nothing personal is
/// read), e.g. to answer the issuer.
pub async fn summary(app: &App, actor: &Actor, id: i64) -> AppResult<BanView> {
    let row = in_scope(app, actor, id).await?;
    view(app, &row, false)
}

/// Other bans in the area that share a token with this one.
async fn related(app: &App, row: &BanRow) -> AppResult<Vec<RelatedBan>> {
    let probes: Vec<([u8; 16], MatchStrength)> = store::tokens_of(&app.db, row.id)
        .await?
        .into_iter()
        .filter_map(|(token, strength)| Some((token, MatchStrength::from_byte(strength)?)))
        .collect();
    Ok(matches(app, row.area_id, &probes)
        .await?
        .into_iter()
        .filter(|(id, _)| *id != row.id)
        .map(|(ban_id, strength)| RelatedBan {
            ban_id,
            r#match: match_name(strength),
        })
        .collect())
}

fn match_name(strength: MatchStrength) -> &'static str {
    match strength {
        MatchStrength::Banned => "same_person",
        MatchStrength::PossibleMatch => "possible_match",
    }
}

/// The bans of an area that these probes hit, each with the strongest
/// match a hit gives: the weaker of the probe's and the stored token's
/// strength, exactly as at the door.
pub(crate) async fn matches(
    app: &App,
    area_id: i64,
    probes: &[([u8; 16], MatchStrength)],
) -> AppResult<Vec<(i64, MatchStrength)>> {
    let tokens: Vec<[u8; 16]> = probes.iter().map(|(t, _)| *t).collect();
    let mut best: std::collections::BTreeMap<i64, MatchStrength> =
        std::collections::BTreeMap::new();
    for hit in store::token_hits(&app.db, area_id, &tokens).await? {
        let Some(stored) = MatchStrength::from_byte(hit.strength) else {
            continue;
        };
        let Some((_, probe)) = probes.iter().find(|(t, _)| *t == hit.token) else {
            continue;
        };
        let strength = stored.min(*probe);
        let entry = best.entry(hit.ban_id).or_insert(strength);
        *entry = (*entry).max(strength);
    }
    Ok(best.into_iter().collect())
}

pub struct ListQuery {
    pub status: Option<BanStatus>,
    pub venue_id: Option<i64>,
    pub area_id: Option<i64>,
    pub issued_from: Option<i64>,
    pub issued_to: Option<i64>,
    pub after_id: i64,
    pub limit: i64,
}

/// Lists bans in the caller's scope, with names: an audited read.
pub async fn list(app: &App, actor: &Actor, q: ListQuery) -> AppResult<Vec<BanView>> {
    let (area_id, venue_ids) = match actor.role {
        Role::Operator | Role::Municipality => return Err(AppError::Forbidden),
        Role::Beheerder => {
            let area = actor.area_id.ok_or(AppError::Forbidden)?;
            if q.area_id.is_some_and(|a| a != area) {
                return Err(AppError::Forbidden);
            }
            (area, q.venue_id.map(|v| vec![v]))
        }
        Role::Owner => {
            let area = actor.area_id.ok_or(AppError::Forbidden)?;
            if q.area_id.is_some_and(|a| a != area)
                || q.venue_id.is_some_and(|v| !actor.venue_ids.contains(&v))
            {
                return Err(AppError::Forbidden);
            }
            (
                area,
                Some(
                    q.venue_id
                        .map_or_else(|| actor.venue_ids.clone(), |v| vec![v]),
                ),
            )
        }
    };
    let filter = BanFilter {
        area_id: Some(area_id),
        venue_ids,
        status: q.status,
        issued_from: q.issued_from,
        issued_to: q.issued_to,
        limit: q.limit.clamp(1, 500),
        after_id: q.after_id,
    };
    let rows = store::list(&app.db, &filter, app.clock.today()).await?;
    let views = rows
        .iter()
        .map(|r| view(app, r, true))
        .collect::<AppResult<Vec<_>>>()?;
    // The event names every ban whose personal data this answer holds (the
    // area is in `area_id`), so a data subject's request can find each
    // read of their data.
    let returned = rows
        .iter()
        .map(|r| r.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit_naming_bans(
        AuditEvent {
            actor: actor.audit_name(),
            action: "ban.list",
            object_type: "bans",
            object_id: returned,
            area_id: Some(area_id),
        },
        &ids,
    )
    .await?;
    tx.commit().await?;
    Ok(views)
}

/// A search result: the same person (full identity), or a possible match
/// whose personal data stays hidden: it may be someone else.
#[derive(Serialize)]
pub struct SearchHit {
    pub r#match: &'static str,
    pub ban: BanView,
}

/// Finds the bans of one person in the caller's scope by exact token
/// match: an audited read.
pub async fn find_person(
    app: &App,
    actor: &Actor,
    person: &PersonInput,
) -> AppResult<Vec<SearchHit>> {
    let area_id = match actor.role {
        Role::Operator => return Err(AppError::Forbidden),
        _ => actor.area_id.ok_or(AppError::Forbidden)?,
    };
    let person = read_person(person, app.clock.today())?;
    let (_, key) = identity_key(app, area_id).await?;
    let probes: Vec<([u8; 16], MatchStrength)> = person
        .identity
        .probes(&key)
        .iter()
        .map(|p| (p.token.0, p.confidence))
        .collect();
    let mut out = Vec::new();
    for (id, strength) in matches(app, area_id, &probes).await? {
        if let Some(row) = store::ban(&app.db, id).await?
            && may_handle(actor, &row)
        {
            out.push(SearchHit {
                r#match: match_name(strength),
                ban: view(app, &row, strength == MatchStrength::Banned)?,
            });
        }
    }
    // Like the list, the event names every ban the answer returned (the
    // area is in `area_id`), possible matches included: their existence
    // was shown.
    let ids: Vec<i64> = out.iter().map(|h| h.ban.id).collect();
    let returned = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit_naming_bans(
        AuditEvent {
            actor: actor.audit_name(),
            action: "ban.search",
            object_type: "bans",
            object_id: returned,
            area_id: Some(area_id),
        },
        &ids,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Records the notice after issue, or replaces it (issue 9 item 2): the
/// issuing venue's owner or the area's beheerder; the day lies between the
/// incident and today; the note is sealed to this ban. Audited as
/// `ban.notice` (the event says nothing of the note).
pub async fn record_notice(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &NoticeInput,
) -> AppResult<()> {
    if !matches!(actor.role, Role::Owner | Role::Beheerder) {
        return Err(AppError::Forbidden);
    }
    let row = in_scope(app, actor, id).await?;
    if matches!(
        row.status(app.clock.today())?,
        BanStatus::Requested | BanStatus::Rejected
    ) {
        return Err(AppError::Conflict(
            "a requested or rejected ban has no notice".to_owned(),
        ));
    }
    let incident_day = cho_core::dates::door_date(row.incident_at)
        .map_err(|_| AppError::Internal("stored incident out of range"))?;
    if input.notified_on < incident_day || input.notified_on > app.clock.today() {
        return Err(AppError::Invalid(
            "notified_on must lie between the incident and today".to_owned(),
        ));
    }
    let note = input
        .note
        .as_deref()
        .map(|t| ban::text(t, "notice note", false))
        .transpose()?
        .flatten();
    let record_id = row
        .record_id
        .as_deref()
        .ok_or(AppError::Internal("ban without record id"))?;
    let sealed_note = note
        .as_deref()
        .map(|t| seal_ban_text(app, row.area_id, record_id, NOTICE_NOTE, t))
        .transpose()?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let notice = NewNotice {
        notified_on: input.notified_on,
        method: input.method,
        sealed_note: sealed_note.as_deref(),
    };
    if !store::set_notice(&mut tx, id, &notice, actor.account_id).await? {
        return Err(AppError::NotFound("ban"));
    }
    tx.audit(ban_event(actor, "ban.notice", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes an active ban (the issuing venue's owner or the beheerder).
pub async fn revoke(app: &App, actor: &Actor, id: i64, reason: &str) -> AppResult<()> {
    if actor.role == Role::Operator {
        return Err(AppError::Forbidden);
    }
    let reason = ban::text(reason, "reason", true)?.unwrap_or_default();
    let row = in_scope(app, actor, id).await?;
    if row.status(app.clock.today())? != BanStatus::Active {
        return Err(AppError::Conflict(
            "only an active ban can be revoked".to_owned(),
        ));
    }
    let record_id = row
        .record_id
        .as_deref()
        .ok_or(AppError::Internal("ban without record id"))?;
    let sealed = seal_ban_text(app, row.area_id, record_id, STATUS_REASON, &reason)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::end(&mut tx, id, BanStatus::Revoked, &sealed).await? {
        return Err(AppError::Conflict(
            "only an active ban can be revoked".to_owned(),
        ));
    }
    tx.audit(ban_event(actor, "ban.revoke", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}
