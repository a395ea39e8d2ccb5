//! Complaints (bezwaar) against a ban: the area's beheerder records what
//! the committee received, extends the decision period once, and records
//! the decision. An upheld complaint overturns the ban, which leaves the
//! area's list at once (published here, not at the next periodic run). A
//! complaint never suspends the ban.
//!
//! The summary, the extension's reason and the decision's reasoning may
//! name people: they are sealed, bound to the complaint's own record id.
//! Owners see only that a complaint about their ban is pending or decided.

use serde::Serialize;
use time::Date;

use super::bans::{self as ban_service};
use super::{App, AppError, AppResult, iso_date, optional_iso_date};
use crate::domain::audit::AuditEvent;
use crate::domain::ban::{self, BanStatus};
use crate::domain::complaint::{self, ComplaintRuleError, Outcome, Urgency};
use crate::domain::roles::{Actor, Role};
use crate::storage::bans::{self as ban_store, BanRow};
use crate::storage::complaints::{self as store, ComplaintRow, NewComplaint};
use crate::storage::{areas, public, venues};

const SUMMARY: &str = "summary";
const EXTENSION_REASON: &str = "extension_reason";
const REASONING: &str = "reasoning";
const RECORD_ID_LEN: usize = 16;

impl From<ComplaintRuleError> for AppError {
    fn from(e: ComplaintRuleError) -> Self {
        match e {
            ComplaintRuleError::AlreadyExtended | ComplaintRuleError::AlreadyDecided => {
                Self::Conflict(e.to_string())
            }
            ComplaintRuleError::ReceivedInFuture
            | ComplaintRuleError::ReceivedBeforeBan
            | ComplaintRuleError::ExtensionDays => Self::Invalid(e.to_string()),
        }
    }
}

/// The associated data of a complaint's sealed text: the field, the area
/// and the complaint's record id, so a blob opens only where it was sealed.
fn text_aad(field: &str, area_id: i64, record_id: &[u8]) -> Vec<u8> {
    let mut aad = format!("cho-complaint-text/1:{field}:{area_id}:").into_bytes();
    aad.extend_from_slice(record_id);
    aad
}

fn seal(app: &App, area_id: i64, record_id: &[u8], field: &str, text: &str) -> AppResult<Vec<u8>> {
    Ok(app
        .master_key()
        .seal(&text_aad(field, area_id, record_id), text.as_bytes())?)
}

fn open(
    app: &App,
    row: &ComplaintRow,
    field: &str,
    sealed: Option<&[u8]>,
) -> AppResult<Option<String>> {
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let plain = app
        .master_key()
        .open(&text_aad(field, row.area_id, &row.record_id), sealed)?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| AppError::Internal("sealed complaint text encoding"))
}

fn new_record_id() -> AppResult<[u8; RECORD_ID_LEN]> {
    let mut id = [0u8; RECORD_ID_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id)
        .map_err(|_| AppError::Internal("random"))?;
    Ok(id)
}

/// A read that returns a complaint's texts (or the person's name) names
/// the ban, as every read of personal data does, so a data subject's access
/// request finds it; a complaint whose ban is purged has no texts left.
fn read_event(actor: &Actor, action: &'static str, row: &ComplaintRow) -> AuditEvent {
    match row.ban_id {
        Some(ban_id) => AuditEvent {
            actor: actor.audit_name(),
            action,
            object_type: "ban",
            object_id: ban_id.to_string(),
            area_id: Some(row.area_id),
        },
        None => event(actor, action, row.id, row.area_id),
    }
}

fn event(actor: &Actor, action: &'static str, id: i64, area_id: i64) -> AuditEvent {
    AuditEvent {
        actor: actor.audit_name(),
        action,
        object_type: "complaint",
        object_id: id.to_string(),
        area_id: Some(area_id),
    }
}

/// Only a beheerder handles complaints; every other role is refused
/// before anything is looked up.
fn beheerder_only(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Beheerder {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A complaint of the caller's area; another area's is "not found".
async fn in_scope(app: &App, actor: &Actor, id: i64) -> AppResult<ComplaintRow> {
    beheerder_only(actor)?;
    store::complaint(&app.db, id)
        .await?
        .filter(|c| actor.manages_area(c.area_id))
        .ok_or(AppError::NotFound("complaint"))
}

/// A ban of the caller's area; another area's is "not found".
async fn ban_in_area(app: &App, actor: &Actor, ban_id: i64) -> AppResult<BanRow> {
    ban_store::ban(&app.db, ban_id)
        .await?
        .filter(|b| actor.manages_area(b.area_id))
        .ok_or(AppError::NotFound("ban"))
}

fn issue_day(ban: &BanRow) -> AppResult<Date> {
    cho_core::dates::door_date(ban.created_at).map_err(|_| AppError::Internal("ban issue time"))
}

/// What recording a complaint answers.
#[derive(Serialize)]
pub struct Recorded {
    pub id: i64,
    /// Received after the area's complaint window (taken all the same).
    pub late: bool,
    #[serde(serialize_with = "iso_date")]
    pub decide_by: Date,
}

pub struct NewComplaintInput {
    pub received_on: Date,
    pub summary: String,
}

/// The beheerder records a complaint about a ban of their area.
pub async fn record(
    app: &App,
    actor: &Actor,
    ban_id: i64,
    input: NewComplaintInput,
) -> AppResult<Recorded> {
    beheerder_only(actor)?;
    let summary = ban::text(&input.summary, "summary", true)?.unwrap_or_default();
    let ban = ban_in_area(app, actor, ban_id).await?;
    let today = app.clock.today();
    match ban.status(today)? {
        BanStatus::Active | BanStatus::Expired | BanStatus::Revoked => {}
        BanStatus::Overturned => {
            return Err(AppError::Conflict(
                "the ban is already overturned".to_owned(),
            ));
        }
        BanStatus::Requested | BanStatus::Rejected => {
            return Err(AppError::Conflict("the ban was never issued".to_owned()));
        }
    }
    let area = areas::area(&app.db, ban.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let issued_on = issue_day(&ban)?;
    complaint::check_received(input.received_on, issued_on, today)?;
    let start = complaint::window_start(ban.notice.as_ref().map(|n| n.notified_on), issued_on);
    let late = complaint::is_late(
        input.received_on,
        start,
        area.settings.complaint_window_days,
    );
    let decide_by = complaint::decide_by(input.received_on);
    let record_id = new_record_id()?;
    let sealed = seal(app, ban.area_id, &record_id, SUMMARY, &summary)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if store::has_open(&mut tx, ban.id).await? {
        return Err(AppError::Conflict(
            "the ban already has an undecided complaint".to_owned(),
        ));
    }
    let id = store::insert(
        &mut tx,
        &NewComplaint {
            area_id: ban.area_id,
            ban_id: ban.id,
            record_id: &record_id,
            received_on: input.received_on,
            late,
            decide_by,
            sealed_summary: &sealed,
            recorded_by: actor.account_id,
        },
    )
    .await?;
    tx.audit(event(actor, "complaint.record", id, ban.area_id))
        .await?;
    tx.commit().await?;
    Ok(Recorded {
        id,
        late,
        decide_by,
    })
}

/// What the beheerder's form to record a complaint shows of the ban (no
/// personal data: not audited).
pub struct RecordFormView {
    pub ban_id: i64,
    /// The earliest day of receipt (the day of issue).
    pub issued_on: Date,
    /// Whether a notice is recorded (the window then counts from it).
    pub notified_on: Option<Date>,
    /// The last day a complaint is on time.
    pub window_ends_on: Date,
    pub today: Date,
}

/// The form to record a complaint about a ban of the caller's area.
pub async fn record_form(app: &App, actor: &Actor, ban_id: i64) -> AppResult<RecordFormView> {
    beheerder_only(actor)?;
    let ban = ban_in_area(app, actor, ban_id).await?;
    let area = areas::area(&app.db, ban.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let issued_on = issue_day(&ban)?;
    let notified_on = ban.notice.as_ref().map(|n| n.notified_on);
    Ok(RecordFormView {
        ban_id,
        issued_on,
        notified_on,
        window_ends_on: complaint::last_day_on_time(
            complaint::window_start(notified_on, issued_on),
            area.settings.complaint_window_days,
        ),
        today: app.clock.today(),
    })
}

/// What an extension answers.
#[derive(Serialize)]
pub struct Extended {
    pub id: i64,
    #[serde(serialize_with = "iso_date")]
    pub decide_by: Date,
}

/// Extends the decision period once, by 1 to 14 days, with a reason.
pub async fn extend(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
    days: i64,
) -> AppResult<Extended> {
    beheerder_only(actor)?;
    let reason = ban::text(reason, "reason", true)?.unwrap_or_default();
    let row = in_scope(app, actor, id).await?;
    if row.outcome.is_some() {
        return Err(ComplaintRuleError::AlreadyDecided.into());
    }
    let decide_by = complaint::extend(row.decide_by, row.extension_days.is_some(), days)?;
    let sealed = seal(app, row.area_id, &row.record_id, EXTENSION_REASON, &reason)?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::set_extension(
        &mut tx,
        id,
        days,
        decide_by,
        &sealed,
        app.clock.today(),
        actor.account_id,
    )
    .await?
    {
        return Err(ComplaintRuleError::AlreadyExtended.into());
    }
    tx.audit(event(actor, "complaint.extend", id, row.area_id))
        .await?;
    tx.commit().await?;
    Ok(Extended { id, decide_by })
}

/// What a decision answers.
#[derive(Serialize)]
pub struct Decided {
    pub id: i64,
    pub outcome: Outcome,
    #[serde(serialize_with = "iso_date")]
    pub decided_on: Date,
    /// The ban's status after the decision (`overturned` when upheld).
    pub ban_status: Option<BanStatus>,
}

/// Records the committee's decision. `upheld` overturns the ban and
/// publishes the area's list at once, so the door stops refusing the
/// person within one sync.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    outcome: Outcome,
    reasoning: &str,
) -> AppResult<Decided> {
    beheerder_only(actor)?;
    let reasoning = ban::text(reasoning, "reasoning", true)?.unwrap_or_default();
    let row = in_scope(app, actor, id).await?;
    if row.outcome.is_some() {
        return Err(ComplaintRuleError::AlreadyDecided.into());
    }
    let today = app.clock.today();
    let sealed = seal(app, row.area_id, &row.record_id, REASONING, &reasoning)?;
    // The ban's end reason, sealed like every status reason.
    let overturn_reason = match (outcome, row.ban_id) {
        (Outcome::Upheld, Some(ban_id)) => match ban_store::ban(&app.db, ban_id).await? {
            Some(ban) => Some(crate::services::bans::seal_ban_text(
                app,
                ban.area_id,
                ban.record_id.as_deref().unwrap_or_default(),
                crate::services::bans::STATUS_REASON,
                "complaint upheld",
            )?),
            None => None,
        },
        _ => None,
    };
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    if !store::set_decision(&mut tx, id, outcome, &sealed, today, actor.account_id).await? {
        return Err(ComplaintRuleError::AlreadyDecided.into());
    }
    tx.audit(event(actor, "complaint.decide", id, row.area_id))
        .await?;
    let mut overturned = false;
    if outcome == Outcome::Upheld
        && let Some(ban_id) = row.ban_id
        // Only an active ban (its last day passed or not) is overturned; a
        // ban revoked meanwhile stays revoked.
        && let Some(reason) = &overturn_reason
        && ban_store::end(&mut tx, ban_id, BanStatus::Overturned, reason).await?
    {
        tx.audit(AuditEvent {
            actor: actor.audit_name(),
            action: "ban.overturn",
            object_type: "ban",
            object_id: ban_id.to_string(),
            area_id: Some(row.area_id),
        })
        .await?;
        overturned = true;
    }
    tx.commit().await?;
    if overturned {
        // The list leaves the ban out from now on; if publishing fails here
        // (e.g. the clock guard), the periodic run publishes it.
        if let Err(e) = super::lists::publish(app, row.area_id).await {
            tracing::warn!(area = row.area_id, error = %e, "publishing after an upheld complaint failed; the periodic run retries");
        }
    }
    let ban_status = match row.ban_id {
        Some(ban_id) => match ban_store::ban(&app.db, ban_id).await? {
            Some(b) => Some(b.status(today)?),
            None => None,
        },
        None => None,
    };
    Ok(Decided {
        id,
        outcome,
        decided_on: today,
        ban_status,
    })
}

/// One complaint in the area's overview: no text, nothing about the person.
#[derive(Serialize)]
pub struct ComplaintLine {
    pub id: i64,
    /// None once the ban was purged.
    pub ban_id: Option<i64>,
    #[serde(serialize_with = "iso_date")]
    pub received_on: Date,
    pub late: bool,
    #[serde(serialize_with = "iso_date")]
    pub decide_by: Date,
    pub extended_by_days: Option<i64>,
    /// Days until the decision is due (negative: overdue); None once decided.
    pub days_left: Option<i64>,
    pub urgency: Urgency,
    pub outcome: Option<Outcome>,
    #[serde(serialize_with = "optional_iso_date")]
    pub decided_on: Option<Date>,
}

fn line(row: &ComplaintRow, today: Date) -> ComplaintLine {
    let decided = row.outcome.is_some();
    ComplaintLine {
        id: row.id,
        ban_id: row.ban_id,
        received_on: row.received_on,
        late: row.late,
        decide_by: row.decide_by,
        extended_by_days: row.extension_days,
        days_left: (!decided).then(|| complaint::days_left(row.decide_by, today)),
        urgency: complaint::urgency(decided, row.decide_by, today),
        outcome: row.outcome,
        decided_on: row.decided_on,
    }
}

/// The area's complaints: open ones first (overdue, then due within 7
/// days, then the rest, each by days left), decided ones below (latest
/// decision first).
pub async fn list(app: &App, actor: &Actor, area_id: i64) -> AppResult<Vec<ComplaintLine>> {
    beheerder_only(actor)?;
    if !actor.manages_area(area_id) {
        return Err(AppError::NotFound("area"));
    }
    let today = app.clock.today();
    let mut lines: Vec<ComplaintLine> = store::in_area(&app.db, area_id)
        .await?
        .iter()
        .map(|r| line(r, today))
        .collect();
    lines.sort_by(|a, b| {
        a.urgency
            .cmp(&b.urgency)
            .then_with(|| a.decide_by.cmp(&b.decide_by))
            .then_with(|| b.decided_on.cmp(&a.decided_on))
            .then_with(|| a.id.cmp(&b.id))
    });
    // Decided ones: the latest decision first.
    let first_decided = lines
        .iter()
        .position(|l| l.urgency == Urgency::Decided)
        .unwrap_or(lines.len());
    lines[first_decided..].sort_by(|a, b| b.decided_on.cmp(&a.decided_on).then(b.id.cmp(&a.id)));
    Ok(lines)
}

/// The caller's own area's complaints (the beheerder's overview page).
pub async fn mine(app: &App, actor: &Actor) -> AppResult<Vec<ComplaintLine>> {
    beheerder_only(actor)?;
    let area_id = actor.area_id.ok_or(AppError::Forbidden)?;
    list(app, actor, area_id).await
}

/// One complaint with its texts, for the beheerder: an audited read.
#[derive(Serialize)]
pub struct ComplaintView {
    #[serde(flatten)]
    pub line: ComplaintLine,
    pub area_id: i64,
    pub summary: Option<String>,
    #[serde(serialize_with = "optional_iso_date")]
    pub original_decide_by: Option<Date>,
    pub extension_reason: Option<String>,
    #[serde(serialize_with = "optional_iso_date")]
    pub extended_on: Option<Date>,
    pub reasoning: Option<String>,
    /// The last day a complaint was on time, when the ban is still stored.
    #[serde(serialize_with = "optional_iso_date")]
    pub window_ends_on: Option<Date>,
}

async fn full_view(app: &App, row: &ComplaintRow) -> AppResult<ComplaintView> {
    let today = app.clock.today();
    let window_ends_on = match row.ban_id {
        Some(ban_id) => match ban_store::ban(&app.db, ban_id).await? {
            Some(b) => {
                let area = areas::area(&app.db, b.area_id)
                    .await?
                    .ok_or(AppError::NotFound("area"))?;
                let start = complaint::window_start(
                    b.notice.as_ref().map(|n| n.notified_on),
                    issue_day(&b)?,
                );
                Some(complaint::last_day_on_time(
                    start,
                    area.settings.complaint_window_days,
                ))
            }
            None => None,
        },
        None => None,
    };
    Ok(ComplaintView {
        line: line(row, today),
        area_id: row.area_id,
        summary: open(app, row, SUMMARY, row.sealed_summary.as_deref())?,
        original_decide_by: Some(complaint::decide_by(row.received_on)),
        extension_reason: open(
            app,
            row,
            EXTENSION_REASON,
            row.sealed_extension_reason.as_deref(),
        )?,
        extended_on: row.extended_on,
        reasoning: open(app, row, REASONING, row.sealed_reasoning.as_deref())?,
        window_ends_on,
    })
}

/// One complaint with its texts: an audited read.
pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<ComplaintView> {
    let row = in_scope(app, actor, id).await?;
    let view = full_view(app, &row).await?;
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit(read_event(actor, "complaint.read", &row)).await?;
    tx.commit().await?;
    Ok(view)
}

/// A complaint's state as the ban's pages show it: never its texts.
#[derive(Serialize)]
pub struct ComplaintState {
    pub id: i64,
    #[serde(serialize_with = "iso_date")]
    pub received_on: Date,
    pub outcome: Option<Outcome>,
    #[serde(serialize_with = "optional_iso_date")]
    pub decided_on: Option<Date>,
}

/// The complaints about a ban, as its owner or the beheerder may see them
/// on the ban's page (pending or decided, no texts; no audit event: nothing
/// personal is read).
pub async fn of_ban(app: &App, actor: &Actor, ban_id: i64) -> AppResult<Vec<ComplaintState>> {
    let ban = ban_store::ban(&app.db, ban_id)
        .await?
        .filter(|b| actor.handles_venue_bans(b.area_id, b.venue_id))
        .ok_or(AppError::NotFound("ban"))?;
    Ok(store::for_ban(&app.db, ban.id)
        .await?
        .into_iter()
        .map(|c| ComplaintState {
            id: c.id,
            received_on: c.received_on,
            outcome: c.outcome,
            decided_on: c.decided_on,
        })
        .collect())
}

/// The decision letter: what the committee decided, for the person.
#[derive(Serialize)]
pub struct DecisionLetter {
    pub complaint: ComplaintView,
    pub ban_id: i64,
    /// `CHO-<area>-<ban>`, as on the notice letter.
    pub reference: String,
    pub surname: String,
    pub given_names: String,
    pub birth_date: String,
    pub municipality: String,
    pub area_name: String,
    pub venue_name: String,
    pub category_name: String,
    #[serde(serialize_with = "iso_date")]
    pub starts_on: Date,
    #[serde(serialize_with = "iso_date")]
    pub ends_on: Date,
    pub ban_status: BanStatus,
    pub controller_name: Option<String>,
    pub controller_address: Option<String>,
    pub committee_address: Option<String>,
    pub committee_email: Option<String>,
    pub privacy_contact: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// The letter's date (today).
    #[serde(serialize_with = "iso_date")]
    pub dated: Date,
}

/// The decision letter of a decided complaint (its ban still stored): an
/// audited read of the person's name.
pub async fn letter(app: &App, actor: &Actor, id: i64) -> AppResult<DecisionLetter> {
    let row = in_scope(app, actor, id).await?;
    if row.outcome.is_none() {
        return Err(AppError::Conflict(
            "the complaint is not decided yet".to_owned(),
        ));
    }
    let ban_id = row.ban_id.ok_or(AppError::NotFound("ban"))?;
    let ban = ban_store::ban(&app.db, ban_id)
        .await?
        .ok_or(AppError::NotFound("ban"))?;
    let person = ban_service::open_personal_data(app, &ban)?;
    let area = areas::area(&app.db, ban.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let municipality = areas::municipalities(&app.db)
        .await?
        .into_iter()
        .find(|(id, _)| *id == area.municipality_id)
        .map(|(_, name)| name)
        .unwrap_or_default();
    let venue = venues::venue(&app.db, ban.venue_id)
        .await?
        .ok_or(AppError::NotFound("venue"))?;
    let category = areas::category(&app.db, ban.category_id)
        .await?
        .ok_or(AppError::NotFound("category"))?;
    let contact = public::contact(&app.db, ban.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let complaint = full_view(app, &row).await?;
    let today = app.clock.today();
    let letter = DecisionLetter {
        complaint,
        ban_id,
        reference: format!("CHO-{}-{}", area.id, ban_id),
        surname: person.surname,
        given_names: person.given_names,
        birth_date: person.birth_date,
        municipality,
        area_name: area.name,
        venue_name: venue.name,
        category_name: category.name,
        starts_on: ban.starts_on,
        ends_on: ban.ends_on,
        ban_status: ban.status(today)?,
        controller_name: contact.controller.controller_name,
        controller_address: contact.controller.controller_address,
        committee_address: contact.complaint_committee_address,
        committee_email: contact.complaint_committee_email,
        privacy_contact: contact.privacy_contact,
        contact_email: contact.contact_email,
        contact_phone: contact.contact_phone,
        dated: today,
    };
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit(read_event(actor, "complaint.letter", &row))
        .await?;
    tx.commit().await?;
    Ok(letter)
}
