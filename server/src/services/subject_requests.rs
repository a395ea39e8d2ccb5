//! Data-subject requests (issue 9 item 4; DOMAIN.md rule 6): the area's
//! register, the access export, rectification and erasure of a ban.
//!
//! Only the area's beheerder handles them. The requester is found by
//! identity tokens across the area, exactly as the door and the ban search
//! find people: their typed name and birth date (or MRZ) are hashed with
//! the area's key and only exact matches (`MatchStrength::Banned`) count as
//! theirs; possible matches (same name, other birth date; same birth date,
//! other given names) are shown to the beheerder to decide, never
//! exported. The identity itself is kept sealed, bound to the request's
//! own random record id, so the register holds no name in the clear and
//! the request can be matched again after a key rotation.

use cho_core::identity::{Identity, MatchStrength};
use serde::{Deserialize, Serialize};
use time::Date;

use super::bans::{
    self as ban_service, NoticeView, PersonInput, check_tokens, identity_key, matches,
    new_record_id, open_ban_text, open_personal_data, personal_data_aad, read_person,
    stored_tokens,
};
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::ban::{self, BanStatus, PersonalData};
use crate::domain::roles::{Actor, Role};
use crate::domain::subject_request::{
    self as rules, IdentityCheck, RequestKind, RequestRuleError, RequestStatus, Step,
};
use crate::storage::bans::{self as ban_store, BanRow};
use crate::storage::subject_requests::{self as store, NewRequest, RequestRow};
use crate::storage::{Db, areas, venues};

impl From<RequestRuleError> for AppError {
    fn from(e: RequestRuleError) -> Self {
        match e {
            RequestRuleError::Closed
            | RequestRuleError::IdentityUnverified
            | RequestRuleError::AlreadyVerified
            | RequestRuleError::AlreadyExtended => Self::Conflict(e.to_string()),
            RequestRuleError::ExtensionLength
            | RequestRuleError::ToldTooLate
            | RequestRuleError::ToldOutOfRange
            | RequestRuleError::ReceivedOutOfRange => Self::Invalid(e.to_string()),
        }
    }
}

/// The associated data of a request's sealed texts: bound to the field,
/// the area and the request's record id (as bans bind theirs).
fn request_text_aad(field: &str, area_id: i64, record_id: &[u8]) -> Vec<u8> {
    let mut aad = format!("cho-subject-request-text/1:{field}:{area_id}:").into_bytes();
    aad.extend_from_slice(record_id);
    aad
}

fn seal(app: &App, area_id: i64, record_id: &[u8], field: &str, text: &str) -> AppResult<Vec<u8>> {
    Ok(app.master_key().seal(
        &request_text_aad(field, area_id, record_id),
        text.as_bytes(),
    )?)
}

fn open(app: &App, row: &RequestRow, field: &str, sealed: &[u8]) -> AppResult<String> {
    let plain = app.master_key().open(
        &request_text_aad(field, row.area_id, &row.record_id),
        sealed,
    )?;
    String::from_utf8(plain).map_err(|_| AppError::Internal("sealed text encoding"))
}

const PERSON: &str = "person";
const IDENTITY_NOTE: &str = "identity_note";
const EXTENSION_REASON: &str = "extension_reason";
const REFUSAL_REASON: &str = "refusal_reason";

/// The requester's identity as sealed in the register.
#[derive(Serialize, Deserialize)]
struct SealedPerson {
    surname: String,
    given_names: String,
    /// `YYYY-MM-DD`.
    birth_date: String,
    /// Read from an MRZ whose name field was full.
    name_truncated: bool,
}

fn beheerder_of(actor: &Actor, area_id: i64) -> AppResult<()> {
    if actor.role != Role::Beheerder {
        return Err(AppError::Forbidden);
    }
    // Another area's beheerder is told it does not exist.
    if actor.area_id != Some(area_id) {
        return Err(AppError::NotFound("area"));
    }
    Ok(())
}

/// The area whose register the caller keeps: a beheerder's own (for the
/// pages that show a form before any other call).
pub fn register_area(actor: &Actor) -> AppResult<i64> {
    match (actor.role, actor.area_id) {
        (Role::Beheerder, Some(area_id)) => Ok(area_id),
        _ => Err(AppError::Forbidden),
    }
}

/// A request the caller handles: only its area's beheerder. Another
/// area's request answers exactly like a missing one.
async fn in_scope(app: &App, actor: &Actor, id: i64) -> AppResult<RequestRow> {
    if actor.role != Role::Beheerder {
        return Err(AppError::Forbidden);
    }
    store::request(&app.db, id)
        .await?
        .filter(|r| actor.area_id == Some(r.area_id))
        .ok_or(AppError::NotFound("subject request"))
}

fn event(actor: &Actor, action: &'static str, id: i64, area_id: i64) -> AuditEvent {
    AuditEvent {
        actor: actor.audit_name(),
        action,
        object_type: "subject_request",
        object_id: id.to_string(),
        area_id: Some(area_id),
    }
}

fn note(text: Option<&str>, field: &'static str) -> AppResult<Option<String>> {
    Ok(text
        .map(|t| ban::text(t, field, false))
        .transpose()?
        .flatten())
}

/// A request as the beheerder enters it.
pub struct NewRequestInput {
    pub kind: RequestKind,
    pub received_on: Date,
    pub person: PersonInput,
    /// None: not checked yet (`identity_unverified`).
    pub identity_check: Option<IdentityCheck>,
    pub identity_note: Option<String>,
}

#[derive(Serialize)]
pub struct Created {
    pub id: i64,
    #[serde(serialize_with = "super::iso_date")]
    pub due_on: Date,
}

/// Registers a request; the bans its person matches exactly are linked
/// (and so kept from the retention purge until it is closed).
pub async fn create(
    app: &App,
    actor: &Actor,
    area_id: i64,
    input: NewRequestInput,
) -> AppResult<Created> {
    beheerder_of(actor, area_id)?;
    let today = app.clock.today();
    rules::check_received(input.received_on, today)?;
    let identity_note = note(input.identity_note.as_deref(), "identity_note")?;
    let person = read_person(&input.person, today)?;
    let exact = exact_matches(app, area_id, &person.identity).await?;
    let sealed_person = SealedPerson {
        surname: person.surname,
        given_names: person.given_names,
        birth_date: cho_core::dates::format_iso_date(person.birth_date),
        name_truncated: person.name_truncated,
    };
    let json = zeroize::Zeroizing::new(
        serde_json::to_string(&sealed_person).map_err(|_| AppError::Internal("person encoding"))?,
    );
    let record_id = new_record_id()?;
    let sealed = seal(app, area_id, &record_id, PERSON, &json)?;
    let sealed_note = identity_note
        .as_deref()
        .map(|t| seal(app, area_id, &record_id, IDENTITY_NOTE, t))
        .transpose()?;
    let due_on = rules::due_on(input.received_on);
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let id = store::insert(
        &mut tx,
        &NewRequest {
            area_id,
            record_id: &record_id,
            kind: input.kind,
            received_on: input.received_on,
            due_on,
            identity_check: input.identity_check,
            sealed_identity_note: sealed_note.as_deref(),
            sealed_person: &sealed,
            status: RequestStatus::initial(input.identity_check),
            created_by: actor.account_id,
        },
        &exact,
    )
    .await?;
    tx.audit(event(actor, "subject_request.create", id, area_id))
        .await?;
    tx.commit().await?;
    Ok(Created { id, due_on })
}

/// The bans of the area this identity matches exactly (the same person).
async fn exact_matches(app: &App, area_id: i64, identity: &Identity) -> AppResult<Vec<i64>> {
    Ok(person_matches(app, area_id, identity)
        .await?
        .into_iter()
        .filter(|(_, s)| *s == MatchStrength::Banned)
        .map(|(id, _)| id)
        .collect())
}

async fn person_matches(
    app: &App,
    area_id: i64,
    identity: &Identity,
) -> AppResult<Vec<(i64, MatchStrength)>> {
    let (_, key) = identity_key(app, area_id).await?;
    let probes: Vec<([u8; 16], MatchStrength)> = identity
        .probes(&key)
        .iter()
        .map(|p| (p.token.0, p.confidence))
        .collect();
    matches(app, area_id, &probes).await
}

/// The requester's identity, opened from the register (None once purged).
fn requester(app: &App, row: &RequestRow) -> AppResult<Option<(SealedPerson, Identity)>> {
    let Some(sealed) = &row.sealed_person else {
        return Ok(None);
    };
    let json = zeroize::Zeroizing::new(open(app, row, PERSON, sealed)?);
    let person: SealedPerson =
        serde_json::from_str(&json).map_err(|_| AppError::Internal("person decoding"))?;
    let identity = Identity::from_stored(
        &person.surname,
        &person.given_names,
        &person.birth_date,
        person.name_truncated,
    )
    .map_err(|_| AppError::Internal("stored identity no longer canonicalises"))?;
    Ok(Some((person, identity)))
}

/// A line of the register: no personal data.
#[derive(Serialize)]
pub struct RequestSummary {
    pub id: i64,
    pub kind: RequestKind,
    pub status: RequestStatus,
    #[serde(serialize_with = "super::iso_date")]
    pub received_on: Date,
    /// When the answer is due (the extended date once extended).
    #[serde(serialize_with = "super::iso_date")]
    pub due_on: Date,
    pub extended: bool,
    /// Days until due; negative when overdue; None once closed.
    pub days_left: Option<i64>,
    #[serde(serialize_with = "super::optional_iso_date")]
    pub closed_on: Option<Date>,
}

fn summary(row: &RequestRow, today: Date) -> RequestSummary {
    RequestSummary {
        id: row.id,
        kind: row.kind,
        status: row.status,
        received_on: row.received_on,
        due_on: row.answer_due(),
        extended: row.extended_to.is_some(),
        days_left: (!row.status.is_closed()).then(|| rules::days_left(row.answer_due(), today)),
        closed_on: row.closed_on,
    }
}

/// The area's register: open requests first, soonest due (so overdue)
/// first; then closed ones, newest first. No personal data: not audited.
pub async fn list(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<RequestSummary>> {
    beheerder_of(actor, area_id)?;
    let today = app.clock.today();
    let mut rows: Vec<RequestSummary> = store::in_area(&app.db, area_id)
        .await?
        .iter()
        .map(|r| summary(r, today))
        .collect();
    rows.sort_by(
        |a, b| match (a.closed_on.is_some(), b.closed_on.is_some()) {
            (false, false) => a.due_on.cmp(&b.due_on).then(a.id.cmp(&b.id)),
            (true, true) => b.id.cmp(&a.id),
            (open_a, _) => open_a.cmp(&!open_a),
        },
    );
    Ok(rows)
}

#[derive(Serialize)]
pub struct RequesterView {
    pub surname: String,
    pub given_names: String,
    pub birth_date: String,
}

/// A ban this request may be about.
#[derive(Serialize)]
pub struct MatchedBan {
    pub ban_id: i64,
    /// `same_person`: exported and acted on; `possible_match`: for the
    /// beheerder to look into, never exported.
    pub r#match: &'static str,
    pub status: BanStatus,
}

/// One request with what the beheerder needs to answer it.
#[derive(Serialize)]
pub struct RequestView {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub identity_check: Option<IdentityCheck>,
    pub identity_note: Option<String>,
    /// None once purged.
    pub requester: Option<RequesterView>,
    #[serde(serialize_with = "super::optional_iso_date")]
    pub original_due_on: Option<Date>,
    pub extension_reason: Option<String>,
    #[serde(serialize_with = "super::optional_iso_date")]
    pub extension_told_on: Option<Date>,
    pub refusal_reason: Option<String>,
    pub bans: Vec<MatchedBan>,
}

/// Reads a request with the requester's identity and the bans it matches:
/// an audited read.
pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<RequestView> {
    let row = in_scope(app, actor, id).await?;
    let today = app.clock.today();
    let opened = requester(app, &row)?;
    let mut bans = Vec::new();
    if let Some((_, identity)) = &opened
        && !row.status.is_closed()
    {
        for (ban_id, strength) in person_matches(app, row.area_id, identity).await? {
            if let Some(ban) = ban_store::ban(&app.db, ban_id).await? {
                bans.push(MatchedBan {
                    ban_id,
                    r#match: match strength {
                        MatchStrength::Banned => "same_person",
                        MatchStrength::PossibleMatch => "possible_match",
                    },
                    status: ban.status(today)?,
                });
            }
        }
    }
    let view = RequestView {
        summary: summary(&row, today),
        identity_check: row.identity_check,
        identity_note: row
            .sealed_identity_note
            .as_deref()
            .map(|s| open(app, &row, IDENTITY_NOTE, s))
            .transpose()?,
        requester: opened.map(|(p, _)| RequesterView {
            surname: p.surname,
            given_names: p.given_names,
            birth_date: p.birth_date,
        }),
        original_due_on: row.extended_to.map(|_| row.due_on),
        extension_reason: row
            .sealed_extension_reason
            .as_deref()
            .map(|s| open(app, &row, EXTENSION_REASON, s))
            .transpose()?,
        extension_told_on: row.extension_told_on,
        refusal_reason: row
            .sealed_refusal_reason
            .as_deref()
            .map(|s| open(app, &row, REFUSAL_REASON, s))
            .transpose()?,
        bans,
    };
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit(event(actor, "subject_request.read", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(view)
}

/// Records how the requester's identity was checked.
pub async fn verify_identity(
    app: &App,
    actor: &Actor,
    id: i64,
    check: IdentityCheck,
    identity_note: Option<&str>,
) -> AppResult<()> {
    let row = in_scope(app, actor, id).await?;
    rules::may(row.status, Step::VerifyIdentity)?;
    let text = note(identity_note, "identity_note")?;
    let sealed = text
        .as_deref()
        .map(|t| seal(app, row.area_id, &row.record_id, IDENTITY_NOTE, t))
        .transpose()?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::verify(&mut tx, id, check, sealed.as_deref()).await? {
        return Err(RequestRuleError::AlreadyVerified.into());
    }
    tx.audit(event(actor, "subject_request.verify", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The one extension, by 1 or 2 months, with the reason the person was
/// told and the day they were told.
pub async fn extend(
    app: &App,
    actor: &Actor,
    id: i64,
    months: u32,
    reason: &str,
    told_on: Date,
) -> AppResult<RequestSummary> {
    let row = in_scope(app, actor, id).await?;
    rules::may(row.status, Step::Extend)?;
    let reason = ban::text(reason, "reason", true)?.unwrap_or_default();
    let today = app.clock.today();
    let to = rules::extend(
        row.received_on,
        row.due_on,
        row.extended_to.is_some(),
        months,
        told_on,
        today,
    )?;
    let sealed = seal(app, row.area_id, &row.record_id, EXTENSION_REASON, &reason)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::extend(&mut tx, id, to, &sealed, told_on).await? {
        return Err(RequestRuleError::AlreadyExtended.into());
    }
    tx.audit(event(actor, "subject_request.extend", id, row.area_id))
        .await?;
    tx.commit().await?;
    let row = in_scope(app, actor, id).await?;
    Ok(summary(&row, today))
}

/// Refuses a request, with the reason given to the person.
pub async fn refuse(app: &App, actor: &Actor, id: i64, reason: &str) -> AppResult<()> {
    let row = in_scope(app, actor, id).await?;
    rules::may(row.status, Step::Refuse)?;
    let reason = ban::text(reason, "reason", true)?.unwrap_or_default();
    let sealed = seal(app, row.area_id, &row.record_id, REFUSAL_REASON, &reason)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::close(
        &mut tx,
        id,
        RequestStatus::Refused,
        app.clock.today(),
        Some(&sealed),
    )
    .await?
    {
        return Err(RequestRuleError::Closed.into());
    }
    tx.audit(event(actor, "subject_request.refuse", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a request answered.
pub async fn complete(app: &App, actor: &Actor, id: i64) -> AppResult<()> {
    let row = in_scope(app, actor, id).await?;
    rules::may(row.status, Step::Complete)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::close(
        &mut tx,
        id,
        RequestStatus::Completed,
        app.clock.today(),
        None,
    )
    .await?
    {
        return Err(RequestRuleError::Closed.into());
    }
    tx.audit(event(actor, "subject_request.complete", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The access answer (GDPR art. 15): every ban of the person in the area,
/// whatever its status, with what it records and who read it when.
#[derive(Serialize)]
pub struct Export {
    pub request_id: i64,
    pub kind: RequestKind,
    #[serde(serialize_with = "super::iso_date")]
    pub received_on: Date,
    #[serde(serialize_with = "super::iso_date")]
    pub generated_on: Date,
    pub area: ExportArea,
    pub person: RequesterView,
    pub bans: Vec<ExportBan>,
}

#[derive(Serialize)]
pub struct ExportArea {
    pub id: i64,
    pub name: String,
    /// Days the data is kept after a ban ends.
    pub retention_days: i64,
}

#[derive(Serialize)]
pub struct ExportBan {
    pub id: i64,
    pub status: BanStatus,
    pub category_code: String,
    pub category_name: String,
    pub venue_id: i64,
    pub venue_name: String,
    pub incident_at: i64,
    pub incident_description: String,
    pub issued_at: i64,
    pub starts_on: String,
    pub ends_on: String,
    pub surname: String,
    pub given_names: String,
    pub birth_date: String,
    pub heard: bool,
    pub hearing_statement: Option<String>,
    pub not_heard_reason: Option<String>,
    pub notice: Option<NoticeView>,
    pub status_reason: Option<String>,
    /// Every audited event that returned this ban's personal data.
    pub reads: Vec<ExportRead>,
}

#[derive(Serialize)]
pub struct ExportRead {
    /// Unix seconds.
    pub at: i64,
    /// `account:<id>`: the account that read.
    pub account: String,
    /// Its role today (`owner`, `beheerder`), when it still exists.
    pub role: Option<String>,
    /// What was done: `ban.read`, `ban.list`, `ban.search`, `ban.export`...
    pub action: String,
}

/// Builds the access export, links the bans it holds to the request, and
/// audits it naming every ban it returned.
pub async fn export(app: &App, actor: &Actor, id: i64) -> AppResult<Export> {
    let row = in_scope(app, actor, id).await?;
    rules::may(row.status, Step::Act)?;
    let (person, identity) = requester(app, &row)?.ok_or(AppError::Conflict(
        "the request's identity was purged".to_owned(),
    ))?;
    let area = areas::area(&app.db, row.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let today = app.clock.today();
    let ban_ids = exact_matches(app, row.area_id, &identity).await?;
    let reads = store::reads_of(&app.db, &ban_ids).await?;
    let mut roles: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    for r in &reads {
        if !roles.contains_key(&r.actor) {
            roles.insert(r.actor.clone(), role_of(&app.db, &r.actor).await?);
        }
    }
    let mut bans = Vec::new();
    for ban_id in &ban_ids {
        let Some(b) = ban_store::ban(&app.db, *ban_id).await? else {
            continue;
        };
        bans.push(export_ban(app, &b, today, &reads, &roles).await?);
    }
    let exported: Vec<i64> = bans.iter().map(|b| b.id).collect();
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    store::link_bans(&mut tx, id, &exported).await?;
    tx.audit(event(actor, "subject_request.export", id, row.area_id))
        .await?;
    // The export returns the bans' personal data: named like any read.
    tx.audit_naming_bans(
        AuditEvent {
            actor: actor.audit_name(),
            action: "ban.export",
            object_type: "bans",
            object_id: exported
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            area_id: Some(row.area_id),
        },
        &exported,
    )
    .await?;
    tx.commit().await?;
    Ok(Export {
        request_id: row.id,
        kind: row.kind,
        received_on: row.received_on,
        generated_on: today,
        area: ExportArea {
            id: area.id,
            name: area.name,
            retention_days: area.settings.retention_days,
        },
        person: RequesterView {
            surname: person.surname,
            given_names: person.given_names,
            birth_date: person.birth_date,
        },
        bans,
    })
}

async fn role_of(db: &Db, audit_name: &str) -> AppResult<Option<String>> {
    let Some(id) = audit_name
        .strip_prefix("account:")
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return Ok(None);
    };
    Ok(store::account_role(db, id).await?)
}

async fn export_ban(
    app: &App,
    b: &BanRow,
    today: Date,
    reads: &[store::BanRead],
    roles: &std::collections::HashMap<String, Option<String>>,
) -> AppResult<ExportBan> {
    let p: PersonalData = open_personal_data(app, b)?;
    let category = areas::category(&app.db, b.category_id).await?;
    let venue = venues::venue(&app.db, b.venue_id).await?;
    let notice = b
        .notice
        .as_ref()
        .map(|n| -> AppResult<NoticeView> {
            Ok(NoticeView {
                notified_on: cho_core::dates::format_iso_date(n.notified_on),
                method: n.method,
                note: n
                    .sealed_note
                    .as_deref()
                    .map(|s| open_ban_text(app, b, ban_service::NOTICE_NOTE, s))
                    .transpose()?,
                recorded_at: n.recorded_at,
            })
        })
        .transpose()?;
    Ok(ExportBan {
        id: b.id,
        status: b.status(today)?,
        category_code: category
            .as_ref()
            .map(|c| c.code.clone())
            .unwrap_or_default(),
        category_name: category.map(|c| c.name).unwrap_or_default(),
        venue_id: b.venue_id,
        venue_name: venue.map(|v| v.name).unwrap_or_default(),
        incident_at: b.incident_at,
        incident_description: p.incident_description,
        issued_at: b.created_at,
        starts_on: cho_core::dates::format_iso_date(b.starts_on),
        ends_on: cho_core::dates::format_iso_date(b.ends_on),
        surname: p.surname,
        given_names: p.given_names,
        birth_date: p.birth_date,
        heard: b.heard,
        hearing_statement: p.hearing_statement,
        not_heard_reason: p.not_heard_reason,
        notice,
        status_reason: b
            .sealed_status_reason
            .as_deref()
            .map(|sealed| {
                crate::services::bans::open_ban_text(
                    app,
                    b,
                    crate::services::bans::STATUS_REASON,
                    sealed,
                )
            })
            .transpose()?,
        reads: reads
            .iter()
            .filter(|r| r.ban_id == b.id)
            .map(|r| ExportRead {
                at: r.at,
                account: r.actor.clone(),
                role: roles.get(&r.actor).cloned().flatten(),
                action: r.action.clone(),
            })
            .collect(),
    })
}

/// A ban of this request's person, for rectification or erasure: the
/// request must be of that kind and verified, and the ban an exact match.
async fn ban_of_request(
    app: &App,
    actor: &Actor,
    id: i64,
    ban_id: i64,
    kind: RequestKind,
) -> AppResult<(RequestRow, BanRow)> {
    let row = in_scope(app, actor, id).await?;
    if row.kind != kind {
        return Err(AppError::Conflict(format!(
            "this is not a request for {}",
            kind.as_str()
        )));
    }
    rules::may(row.status, Step::Act)?;
    let (_, identity) = requester(app, &row)?.ok_or(AppError::Conflict(
        "the request's identity was purged".to_owned(),
    ))?;
    if !exact_matches(app, row.area_id, &identity)
        .await?
        .contains(&ban_id)
    {
        return Err(AppError::NotFound("ban"));
    }
    let ban = ban_store::ban(&app.db, ban_id)
        .await?
        .ok_or(AppError::NotFound("ban"))?;
    Ok((row, ban))
}

/// A correction of a ban's identity; a field left out stays.
pub struct Rectification {
    pub surname: Option<String>,
    pub given_names: Option<String>,
    pub birth_date: Option<String>,
}

/// Corrects the name or birth date of one of the person's bans: the
/// personal data is re-sealed and the ban's tokens replaced, so the next
/// published list carries only the corrected identity.
pub async fn rectify(
    app: &App,
    actor: &Actor,
    id: i64,
    ban_id: i64,
    change: Rectification,
) -> AppResult<()> {
    let (row, ban) = ban_of_request(app, actor, id, ban_id, RequestKind::Rectification).await?;
    let mut person = open_personal_data(app, &ban)?;
    let names_changed = change.surname.is_some() || change.given_names.is_some();
    if let Some(s) = change.surname {
        person.surname = s.trim().to_owned();
    }
    if let Some(g) = change.given_names {
        person.given_names = g.trim().to_owned();
    }
    if let Some(b) = change.birth_date {
        person.birth_date = b.trim().to_owned();
    }
    // Typed names are complete: a corrected name is no longer the MRZ's
    // truncated one.
    let name_truncated = ban.name_truncated && !names_changed;
    let identity = if name_truncated {
        Identity::from_stored(
            &person.surname,
            &person.given_names,
            &person.birth_date,
            true,
        )
    } else {
        Identity::from_manual(&person.surname, &person.given_names, &person.birth_date)
    }
    .map_err(|e| AppError::Invalid(format!("person: {e}")))?;
    if identity.birth_date() > app.clock.today() {
        return Err(AppError::Invalid(
            "person: birth date is in the future".to_owned(),
        ));
    }
    person.birth_date = cho_core::dates::format_iso_date(identity.birth_date());
    let record_id = ban
        .record_id
        .as_deref()
        .ok_or(AppError::Internal("ban without record id"))?;
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec(&person).map_err(|_| AppError::Internal("personal data encoding"))?,
    );
    let sealed = app
        .master_key()
        .seal(&personal_data_aad(ban.area_id, record_id), &json)?;
    // Key rotation leaves one epoch: the current one (older tokens and
    // keys go in the rotation's transaction).
    let (epoch, key) = identity_key(app, ban.area_id).await?;
    let tokens = stored_tokens(&identity, &key, epoch);
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    // Refuse to rewrite a ban whose sealed data is not its own.
    let old = open_personal_data(app, &ban)?;
    check_tokens(&mut tx, &ban, &old, &key, epoch).await?;
    if !ban_store::rectify(
        &mut tx,
        ban.id,
        ban.area_id,
        &sealed,
        name_truncated,
        &tokens,
    )
    .await?
    {
        return Err(AppError::NotFound("ban"));
    }
    tx.audit_naming_bans(
        AuditEvent {
            actor: actor.audit_name(),
            action: "ban.rectify",
            object_type: "ban",
            object_id: ban.id.to_string(),
            area_id: Some(ban.area_id),
        },
        &[ban.id],
    )
    .await?;
    tx.audit(event(actor, "subject_request.rectify", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Erases one of the person's bans at once, with its tokens, leaving only
/// the anonymous count the retention purge leaves.
///
/// Only where no ground to keep it remains (DOMAIN.md rules 5 and 7): an
/// ended ban (expired, revoked, overturned) or a rejected request. A
/// running (or still requested) ban is kept under the area's permit; the
/// person's route against it is the complaint, and a beheerder who finds
/// it unfounded revokes it first (with a reason) and then erases it.
pub async fn erase(app: &App, actor: &Actor, id: i64, ban_id: i64) -> AppResult<()> {
    let (row, ban) = ban_of_request(app, actor, id, ban_id, RequestKind::Erasure).await?;
    match ban.status(app.clock.today())? {
        BanStatus::Expired | BanStatus::Revoked | BanStatus::Overturned | BanStatus::Rejected => {}
        BanStatus::Active | BanStatus::Requested => {
            return Err(AppError::Conflict(
                "a running ban is kept while it runs: revoke it first if it is unfounded"
                    .to_owned(),
            ));
        }
    }
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    let erased = ban_store::erasable(&mut tx, ban.id, app.clock.today())
        .await?
        .ok_or(AppError::NotFound("ban"))?;
    ban_store::purge(&mut tx, &erased).await?;
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "ban.erase",
        object_type: "ban",
        object_id: ban.id.to_string(),
        area_id: Some(ban.area_id),
    })
    .await?;
    tx.audit(event(actor, "subject_request.erase", id, row.area_id))
        .await?;
    tx.commit().await?;
    // No token of the erased ban may survive in a stored list version.
    crate::services::lists::forget_purged(app, erased.area_id, erased.off_list_at).await?;
    Ok(())
}

/// Retention (called by the purge): closed requests past the area's
/// retention keep only their kind, dates and outcome. Returns how many.
pub async fn purge_closed(tx: &mut crate::storage::WriteTx, today: Date) -> AppResult<u64> {
    let due = store::purgeable(tx, today).await?;
    for (id, area_id) in &due {
        store::purge(tx, *id).await?;
        tx.audit(AuditEvent {
            actor: "system".to_owned(),
            action: "subject_request.purge",
            object_type: "subject_request",
            object_id: id.to_string(),
            area_id: Some(*area_id),
        })
        .await?;
    }
    Ok(due.len() as u64)
}

/// One month's requests of one kind, for the statistics: received that
/// month, and completed or refused that month. Anonymous; survives every
/// purge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub kind: RequestKind,
    pub received: i64,
    pub completed: i64,
    pub refused: i64,
}

fn month_of(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), u8::from(day.month()))
}

/// Requests per month and kind of an area (for `services::statistics`,
/// which the lead wires in), oldest month first.
pub async fn requests_per_month(db: &Db, area_id: i64) -> AppResult<Vec<RequestMonth>> {
    type Months = std::collections::BTreeMap<(String, &'static str), RequestMonth>;
    fn entry(by: &mut Months, month: String, kind: RequestKind) -> &mut RequestMonth {
        by.entry((month.clone(), kind.as_str()))
            .or_insert(RequestMonth {
                month,
                kind,
                received: 0,
                completed: 0,
                refused: 0,
            })
    }
    let mut by = Months::new();
    for (kind, received_on, status, closed_on) in store::figures(db, area_id).await? {
        entry(&mut by, month_of(received_on), kind).received += 1;
        if let Some(closed) = closed_on {
            let m = entry(&mut by, month_of(closed), kind);
            match status {
                RequestStatus::Completed => m.completed += 1,
                RequestStatus::Refused => m.refused += 1,
                _ => {}
            }
        }
    }
    Ok(by.into_values().collect())
}
