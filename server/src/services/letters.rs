//! The letters to the banned person (issue 9 item 2): a typed view of
//! everything the notice letter must say (GDPR art. 13/14, COMPLIANCE.md),
//! built from the ban, its area, venues, category and protocol. The words
//! are the template's (`templates/letters/notice.html`), in the language
//! chosen per letter.

use time::{Date, Duration};

use super::bans::{in_scope, open_personal_data};
use super::{App, AppError, AppResult};
use crate::domain::audit::AuditEvent;
use crate::domain::ban::BanStatus;
use crate::domain::protocol::venue_admitted_on;
use crate::domain::roles::{Actor, Role};
use crate::storage::{areas, public as contact_store, venues};

/// A venue as the letter names it.
#[derive(Clone, Debug)]
pub struct LetterVenue {
    pub name: String,
    pub address: String,
}

/// Everything the notice letter states; dates as dates (the template
/// writes them in the letter's language).
#[derive(Clone, Debug)]
pub struct NoticeLetter {
    pub ban_id: i64,
    /// `CHO-<area>-<ban>`: what the person quotes in a complaint.
    pub reference: String,
    pub surname: String,
    pub given_names: String,
    pub birth_date: Date,
    pub municipality: String,
    pub area_name: String,
    /// The organisation keeping the list for the venues (the beheerder's),
    /// its address, and the area's joint-controller statement.
    pub controller_name: Option<String>,
    pub controller_address: Option<String>,
    pub controller_statement: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub permit_reference: Option<String>,
    /// The venue that decided (the source of the data).
    pub issuing_venue: LetterVenue,
    /// Every venue taking part on the day the letter is made.
    pub venues: Vec<LetterVenue>,
    pub category_name: String,
    pub category_description_nl: Option<String>,
    pub category_description_en: Option<String>,
    pub incident_on: Date,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The day of notice, when recorded.
    pub notified_on: Option<Date>,
    pub complaint_window_days: i64,
    /// The last day a complaint is in time: the window from the day of
    /// notice, or (no notice yet) from today, the day the letter is
    /// printed and handed over.
    pub complaint_deadline: Date,
    pub committee_address: Option<String>,
    pub committee_email: Option<String>,
    pub privacy_contact: Option<String>,
    /// The area's public page (its participating venues, the protocol).
    pub public_url: String,
    /// Days the data is kept after the ban ends.
    pub retention_days: i64,
    /// The letter's date (today).
    pub dated: Date,
}

/// The notice letter of a ban: the issuing venue's owner or the area's
/// beheerder. It holds the person's name: an audited read (`ban.letter`).
pub async fn notice_letter(app: &App, actor: &Actor, ban_id: i64) -> AppResult<NoticeLetter> {
    if !matches!(actor.role, Role::Owner | Role::Beheerder) {
        return Err(AppError::Forbidden);
    }
    let row = in_scope(app, actor, ban_id).await?;
    let today = app.clock.today();
    if matches!(
        row.status(today)?,
        BanStatus::Requested | BanStatus::Rejected
    ) {
        return Err(AppError::Conflict(
            "a requested or rejected ban has no letter".to_owned(),
        ));
    }
    let person = open_personal_data(app, &row)?;
    let area = areas::area(&app.db, row.area_id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let municipality = areas::municipalities(&app.db)
        .await?
        .into_iter()
        .find(|(id, _)| *id == area.municipality_id)
        .map(|(_, name)| name)
        .unwrap_or_default();
    let contact = contact_store::contact(&app.db, area.id)
        .await?
        .ok_or(AppError::NotFound("area"))?;
    let category = areas::category(&app.db, row.category_id)
        .await?
        .ok_or(AppError::Internal("ban without category"))?;
    let all_venues = venues::in_area(&app.db, area.id).await?;
    let issuing_venue = all_venues
        .iter()
        .find(|v| v.id == row.venue_id)
        .map(|v| LetterVenue {
            name: v.name.clone(),
            address: v.address.clone(),
        })
        .ok_or(AppError::Internal("ban without venue"))?;
    let mut participating: Vec<LetterVenue> = all_venues
        .into_iter()
        .filter(|v| venue_admitted_on(v.admitted_on, v.withdrawn_on, today))
        .map(|v| LetterVenue {
            name: v.name,
            address: v.address,
        })
        .collect();
    participating.sort_by(|a, b| a.name.cmp(&b.name));
    let incident_on = cho_core::dates::door_date(row.incident_at)
        .map_err(|_| AppError::Internal("stored incident out of range"))?;
    let birth_date = cho_core::dates::parse_iso_date(&person.birth_date, "birth date")
        .map_err(|_| AppError::Internal("stored birth date"))?;
    let notified_on = row.notice.as_ref().map(|n| n.notified_on);
    let window = area.settings.complaint_window_days;
    let complaint_deadline = notified_on.unwrap_or(today) + Duration::days(window);
    let public_url = contact
        .controller
        .public_page_url
        .clone()
        .unwrap_or_else(|| {
            format!(
                "{}{}",
                app.public_url.trim_end_matches('/'),
                super::public::area_page_path(area.id)
            )
        });
    let letter = NoticeLetter {
        ban_id: row.id,
        reference: format!("CHO-{}-{}", area.id, row.id),
        surname: person.surname,
        given_names: person.given_names,
        birth_date,
        municipality,
        area_name: area.name,
        controller_name: contact.controller.controller_name,
        controller_address: contact.controller.controller_address,
        controller_statement: contact.controller.controller_statement,
        contact_email: contact.contact_email,
        contact_phone: contact.contact_phone,
        permit_reference: area.permit.map(|p| p.reference),
        issuing_venue,
        venues: participating,
        category_name: category.name,
        category_description_nl: category.description_nl,
        category_description_en: category.description_en,
        incident_on,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        notified_on,
        complaint_window_days: window,
        complaint_deadline,
        committee_address: contact.complaint_committee_address,
        committee_email: contact.complaint_committee_email,
        privacy_contact: contact.privacy_contact,
        public_url,
        retention_days: area.settings.retention_days,
        dated: today,
    };
    let mut tx = app.db.begin_write(app.clock.now()).await?;
    tx.audit(AuditEvent {
        actor: actor.audit_name(),
        action: "ban.letter",
        object_type: "ban",
        object_id: row.id.to_string(),
        area_id: Some(row.area_id),
    })
    .await?;
    tx.commit().await?;
    Ok(letter)
}

/// What the notice form shows of a ban (no personal data: not audited).
#[derive(Clone, Debug)]
pub struct NoticeFormView {
    pub ban_id: i64,
    pub notified_on: Option<Date>,
    pub method: Option<crate::domain::notice::NoticeMethod>,
    /// The notice day lies between these two.
    pub incident_on: Date,
    pub today: Date,
}

/// The notice form of a ban: the issuing venue's owner or the beheerder.
pub async fn notice_form(app: &App, actor: &Actor, ban_id: i64) -> AppResult<NoticeFormView> {
    if !matches!(actor.role, Role::Owner | Role::Beheerder) {
        return Err(AppError::Forbidden);
    }
    let row = in_scope(app, actor, ban_id).await?;
    Ok(NoticeFormView {
        ban_id: row.id,
        notified_on: row.notice.as_ref().map(|n| n.notified_on),
        method: row.notice.as_ref().map(|n| n.method),
        incident_on: cho_core::dates::door_date(row.incident_at)
            .map_err(|_| AppError::Internal("stored incident out of range"))?,
        today: app.clock.today(),
    })
}
