//! Complaints (bezwaar) for the beheerder (issue 9 item 3): the overview
//! (`/gebied/bezwaren`: open ones first, overdue and due within 7 days
//! marked, decided ones below), recording a complaint from the ban's page
//! (`/gebied/verboden/{id}/bezwaar`), one complaint with its extension and
//! decision forms (`/gebied/bezwaren/{id}`), and the decision letter
//! (`/gebied/bezwaren/{id}/brief?taal=nl|en`, printable A4). The ban pages
//! of the beheerder and the owner show the complaint's state
//! ([`BanComplaints`]; the owner never sees its texts).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::Date;

use super::form::FormErrors;
use super::i18n::{Lang, Tr};
use super::letters::{LetterFrame, letter_lang};
use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, see_other};
use crate::domain::ban::BanStatus;
use crate::domain::complaint::{MAX_EXTENSION_DAYS, Outcome, Urgency};
use crate::domain::roles::Role;
use crate::services::complaints::{
    self, ComplaintLine, ComplaintState, ComplaintView, DecisionLetter, NewComplaintInput,
    RecordFormView,
};
use crate::services::{App, AppError};

// ---------------------------------------------------------------- helpers

fn parse_id(text: &str, lang: Lang) -> Result<i64, WebError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::page(StatusCode::NOT_FOUND, "not_found", lang))
}

fn uri_of(path: &str) -> Uri {
    path.parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/gebied/bezwaren"))
}

fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Upheld => "complaints.outcome.upheld",
        Outcome::Rejected => "complaints.outcome.rejected",
    }
}

/// A state in words (never colour alone) and its badge modifier.
pub struct Badge {
    pub label: String,
    pub class: &'static str,
}

fn badge(tr: &Tr, line: &ComplaintLine) -> Badge {
    let (key, class) = match (line.urgency, line.outcome) {
        (Urgency::Overdue, _) => ("complaints.urgency.overdue", "danger"),
        (Urgency::DueSoon, _) => ("complaints.urgency.due_soon", "warning"),
        (Urgency::Open, _) => ("complaints.urgency.open", "active"),
        (Urgency::Decided, Some(o)) => (outcome_key(o), "neutral"),
        (Urgency::Decided, None) => ("complaints.urgency.open", "active"),
    };
    Badge {
        label: tr.t(key).to_owned(),
        class,
    }
}

fn days_left_text(tr: &Tr, days: i64) -> String {
    match days {
        d if d < 0 => tr.t1("complaints.days.overdue", -d),
        0 => tr.t("complaints.days.today").to_owned(),
        1 => tr.t("complaints.days.one").to_owned(),
        d => tr.t1("complaints.days.many", d),
    }
}

// ---------------------------------------------------- on the ban's pages

/// One complaint as the ban's page shows it.
pub struct BanComplaint {
    pub text: String,
    /// The complaint's page (the beheerder only).
    pub href: Option<String>,
}

/// The "complaints" section of a ban's page: the beheerder's with links
/// and the way to record one, the owner's with the state only.
pub struct BanComplaints {
    pub items: Vec<BanComplaint>,
    /// Where the beheerder records a new complaint (none while one is
    /// open, or when the ban was overturned).
    pub record_href: Option<String>,
}

impl BanComplaints {
    pub fn new(
        tr: &Tr,
        role: Role,
        ban_id: i64,
        status: BanStatus,
        states: &[ComplaintState],
    ) -> Self {
        let beheerder = role == Role::Beheerder;
        let items = states
            .iter()
            .map(|c| BanComplaint {
                text: match (c.outcome, c.decided_on) {
                    (Some(o), Some(on)) => tr
                        .t("complaints.ban.decided")
                        .replace("{0}", &tr.date(c.received_on))
                        .replace("{1}", &tr.date(on))
                        .replace("{2}", tr.t(outcome_key(o))),
                    _ => tr
                        .t("complaints.ban.pending")
                        .replace("{0}", &tr.date(c.received_on)),
                },
                href: beheerder.then(|| format!("/gebied/bezwaren/{}", c.id)),
            })
            .collect();
        let open = states.iter().any(|c| c.outcome.is_none());
        let may_record = beheerder
            && !open
            && matches!(
                status,
                BanStatus::Active | BanStatus::Expired | BanStatus::Revoked
            );
        Self {
            items,
            record_href: may_record.then(|| format!("/gebied/verboden/{ban_id}/bezwaar")),
        }
    }
}

// ------------------------------------------------------------- overview

pub struct OverviewRow {
    pub id: i64,
    pub ban_id: Option<i64>,
    pub received_on: String,
    pub late: bool,
    pub decide_by: String,
    pub extended: bool,
    pub days_left: String,
    pub badge: Badge,
    pub decided_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "complaints/overview.html")]
pub struct OverviewPage {
    page: Page,
    open: Vec<OverviewRow>,
    decided: Vec<OverviewRow>,
    /// How many are overdue and due within 7 days, when any are.
    attention: Option<String>,
}

fn overview_row(tr: &Tr, l: &ComplaintLine) -> OverviewRow {
    OverviewRow {
        id: l.id,
        ban_id: l.ban_id,
        received_on: tr.date(l.received_on),
        late: l.late,
        decide_by: tr.date(l.decide_by),
        extended: l.extended_by_days.is_some(),
        days_left: l
            .days_left
            .map(|d| days_left_text(tr, d))
            .unwrap_or_default(),
        badge: badge(tr, l),
        decided_on: l.decided_on.map(|d| tr.date(d)).unwrap_or_default(),
    }
}

fn attention(tr: &Tr, open: &[&ComplaintLine]) -> Option<String> {
    let overdue = open
        .iter()
        .filter(|l| l.urgency == Urgency::Overdue)
        .count();
    let due_soon = open
        .iter()
        .filter(|l| l.urgency == Urgency::DueSoon)
        .count();
    (overdue + due_soon > 0).then(|| {
        tr.t("complaints.overview.attention")
            .replace("{0}", &overdue.to_string())
            .replace("{1}", &due_soon.to_string())
    })
}

/// `GET /gebied/bezwaren`.
pub async fn overview(
    State(app): State<App>,
    viewer: Viewer,
    uri: Uri,
) -> Result<OverviewPage, WebError> {
    let lines = complaints::mine(&app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let (decided, open): (Vec<&ComplaintLine>, Vec<&ComplaintLine>) =
        lines.iter().partition(|l| l.urgency == Urgency::Decided);
    Ok(OverviewPage {
        page: Page::for_viewer(&viewer, &uri, tr.t("complaints.overview.title")),
        attention: attention(&tr, &open),
        open: open.iter().map(|l| overview_row(&tr, l)).collect(),
        decided: decided.iter().map(|l| overview_row(&tr, l)).collect(),
    })
}

// --------------------------------------------------- recording a complaint

/// The ban a complaint is about (`complaints/ban_summary.html`, on the
/// record form and the complaint's page).
pub struct BanSummary {
    /// `None` once the ban is purged.
    id: Option<i64>,
    /// The complaint window, in words (the record form).
    window: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "complaints/record.html")]
pub struct RecordPage {
    page: Page,
    ban_id: i64,
    ban: BanSummary,
    received_on: String,
    summary: String,
    errors: FormErrors,
}

impl RecordPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

fn record_page(viewer: &Viewer, v: &RecordFormView) -> RecordPage {
    let tr = Tr::new(viewer.lang);
    let ban_id = v.ban_id;
    let hint = match v.notified_on {
        Some(on) => tr
            .t("complaints.record.window_notice")
            .replace("{0}", &tr.date(on))
            .replace("{1}", &tr.date(v.window_ends_on)),
        None => tr
            .t("complaints.record.window_issue")
            .replace("{0}", &tr.date(v.issued_on))
            .replace("{1}", &tr.date(v.window_ends_on)),
    };
    RecordPage {
        ban: BanSummary {
            id: Some(ban_id),
            window: Some(hint),
        },
        page: Page::for_viewer(
            viewer,
            &uri_of(&format!("/gebied/verboden/{ban_id}/bezwaar")),
            &tr.t1("complaints.record.title", ban_id),
        ),
        ban_id,
        received_on: String::new(),
        summary: String::new(),
        errors: FormErrors::default(),
    }
}

/// `GET /gebied/verboden/{id}/bezwaar`: the form, with the ban's window.
pub async fn record_form(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<RecordPage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let v = complaints::record_form(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(record_page(&viewer, &v))
}

#[derive(Deserialize)]
pub struct RecordFields {
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    summary: String,
}

/// `POST /gebied/verboden/{id}/bezwaar`: records; to the complaint's page.
pub async fn record(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RecordFields>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let tr = Tr::new(lang);
    let mut errors = FormErrors::default();
    let day = cho_core::dates::parse_iso_date(form.received_on.trim(), "received_on").ok();
    if day.is_none() {
        errors.add("received_on", tr.t("complaints.record.error.date"));
    }
    errors.required_text(
        &tr,
        "summary",
        &form.summary,
        "complaints.record.error.summary",
        "complaints.error.too_long",
    );
    if let (Some(received_on), true) = (day, errors.is_empty()) {
        let input = NewComplaintInput {
            received_on,
            summary: form.summary.clone(),
        };
        match complaints::record(&app, &viewer.actor, id, input).await {
            Ok(r) => {
                let flash = if r.late { "laat" } else { "vastgelegd" };
                return Ok(see_other(&format!(
                    "/gebied/bezwaren/{}?melding={flash}",
                    r.id
                )));
            }
            Err(e @ AppError::Invalid(_)) => {
                errors.refused(&e, "received_on", tr.t("complaints.record.error.range"));
            }
            Err(e @ AppError::Conflict(_)) => {
                errors.refused(&e, "received_on", tr.t("complaints.record.error.conflict"));
            }
            Err(e) => return Err(WebError::app(e, lang)),
        }
    }
    let v = complaints::record_form(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let mut page = record_page(&viewer, &v);
    page.received_on = form.received_on;
    page.summary = form.summary;
    let status = errors.status();
    page.errors = errors;
    Ok((status, page).into_response())
}

// ------------------------------------------------------- one complaint

pub struct Fact {
    pub key: String,
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "complaints/detail.html")]
pub struct DetailPage {
    page: Page,
    id: i64,
    ban: BanSummary,
    badge: Badge,
    flash: Option<String>,
    facts: Vec<Fact>,
    summary: Option<String>,
    extension: Vec<Fact>,
    decision: Vec<Fact>,
    decided: bool,
    may_extend: bool,
    max_days: i64,
    days: String,
    reason: String,
    extend_errors: FormErrors,
    outcome: String,
    reasoning: String,
    decide_errors: FormErrors,
}

impl DetailPage {
    fn extend_error(&self, field: &str) -> Option<&str> {
        self.extend_errors.get(field)
    }

    fn decide_error(&self, field: &str) -> Option<&str> {
        self.decide_errors.get(field)
    }
}

fn fact(tr: &Tr, key: &str, value: impl Into<String>) -> Fact {
    Fact {
        key: tr.t(key).to_owned(),
        value: value.into(),
    }
}

fn yes_no(tr: &Tr, value: bool) -> String {
    tr.t(if value {
        "complaints.yes"
    } else {
        "complaints.no"
    })
    .to_owned()
}

fn detail_page(viewer: &Viewer, v: &ComplaintView, flash: Option<String>) -> DetailPage {
    let tr = Tr::new(viewer.lang);
    let l = &v.line;
    let mut facts = vec![fact(
        &tr,
        "complaints.fact.received_on",
        tr.date(l.received_on),
    )];
    if let Some(end) = v.window_ends_on {
        facts.push(fact(&tr, "complaints.fact.window_ends_on", tr.date(end)));
    }
    facts.push(fact(
        &tr,
        "complaints.fact.late",
        if l.late {
            tr.t("complaints.late.yes").to_owned()
        } else {
            yes_no(&tr, false)
        },
    ));
    facts.push(fact(&tr, "complaints.fact.decide_by", tr.date(l.decide_by)));
    if let Some(d) = l.days_left {
        facts.push(fact(
            &tr,
            "complaints.fact.days_left",
            days_left_text(&tr, d),
        ));
    }
    let mut extension = Vec::new();
    if let Some(days) = l.extended_by_days {
        if let Some(orig) = v.original_decide_by {
            extension.push(fact(
                &tr,
                "complaints.fact.original_decide_by",
                tr.date(orig),
            ));
        }
        extension.push(fact(
            &tr,
            "complaints.fact.extended_by",
            tr.t1("complaints.days.count", days),
        ));
        if let Some(on) = v.extended_on {
            extension.push(fact(&tr, "complaints.fact.extended_on", tr.date(on)));
        }
        if let Some(r) = &v.extension_reason {
            extension.push(fact(&tr, "complaints.fact.extension_reason", r.clone()));
        }
    }
    let mut decision = Vec::new();
    if let (Some(o), Some(on)) = (l.outcome, l.decided_on) {
        decision.push(fact(&tr, "complaints.fact.outcome", tr.t(outcome_key(o))));
        decision.push(fact(&tr, "complaints.fact.decided_on", tr.date(on)));
        if let Some(r) = &v.reasoning {
            decision.push(fact(&tr, "complaints.fact.reasoning", r.clone()));
        }
    }
    let decided = l.outcome.is_some();
    DetailPage {
        page: Page::for_viewer(
            viewer,
            &uri_of(&format!("/gebied/bezwaren/{}", l.id)),
            &tr.t1("complaints.detail.title", l.id),
        ),
        id: l.id,
        ban: BanSummary {
            id: l.ban_id,
            window: None,
        },
        badge: badge(&tr, l),
        flash,
        facts,
        summary: v.summary.clone(),
        extension,
        decision,
        decided,
        may_extend: !decided && l.extended_by_days.is_none(),
        max_days: MAX_EXTENSION_DAYS,
        days: String::new(),
        reason: String::new(),
        extend_errors: FormErrors::default(),
        outcome: String::new(),
        reasoning: String::new(),
        decide_errors: FormErrors::default(),
    }
}

#[derive(Deserialize, Default)]
pub struct Flash {
    melding: Option<String>,
}

/// `GET /gebied/bezwaren/{id}`: an audited read of the complaint's texts.
pub async fn detail(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<Flash>,
) -> Result<DetailPage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let v = complaints::get(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    let flash = match q.melding.as_deref() {
        Some("vastgelegd") => Some(tr.t("complaints.flash.recorded").to_owned()),
        Some("laat") => Some(tr.t("complaints.flash.recorded_late").to_owned()),
        Some("verlengd") => Some(tr.t("complaints.flash.extended").to_owned()),
        Some("besloten") => Some(tr.t("complaints.flash.decided").to_owned()),
        _ => None,
    };
    Ok(detail_page(&viewer, &v, flash))
}

#[derive(Deserialize)]
pub struct ExtendFields {
    #[serde(default)]
    days: String,
    #[serde(default)]
    reason: String,
}

/// `POST /gebied/bezwaren/{id}/verlenging`.
pub async fn extend(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ExtendFields>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let tr = Tr::new(lang);
    let mut errors = FormErrors::default();
    let days = form
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_EXTENSION_DAYS).contains(d));
    if days.is_none() {
        errors.add(
            "days",
            tr.t1("complaints.extend.error.days", MAX_EXTENSION_DAYS),
        );
    }
    errors.required_text(
        &tr,
        "reason",
        &form.reason,
        "complaints.extend.error.reason",
        "complaints.error.too_long",
    );
    if let (Some(days), true) = (days, errors.is_empty()) {
        match complaints::extend(&app, &viewer.actor, id, &form.reason, days).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/gebied/bezwaren/{id}?melding=verlengd"
                )));
            }
            Err(e @ AppError::Conflict(_)) => {
                errors.refused(&e, "days", tr.t("complaints.extend.error.conflict"));
            }
            Err(e @ (AppError::Invalid(_) | AppError::BanRule(_))) => {
                errors.refused(&e, "reason", tr.t("complaints.extend.error.reason"));
            }
            Err(e) => return Err(WebError::app(e, lang)),
        }
    }
    let v = complaints::get(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let mut page = detail_page(&viewer, &v, None);
    page.days = form.days;
    page.reason = form.reason;
    let status = errors.status();
    page.extend_errors = errors;
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
pub struct DecideFields {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reasoning: String,
}

/// `POST /gebied/bezwaren/{id}/besluit`.
pub async fn decide(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecideFields>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = parse_id(&id, lang)?;
    let tr = Tr::new(lang);
    let mut errors = FormErrors::default();
    let outcome = Outcome::parse(form.outcome.trim());
    if outcome.is_none() {
        errors.add("outcome-upheld", tr.t("complaints.decide.error.outcome"));
    }
    errors.required_text(
        &tr,
        "reasoning",
        &form.reasoning,
        "complaints.decide.error.reasoning",
        "complaints.error.too_long",
    );
    if let (Some(outcome), true) = (outcome, errors.is_empty()) {
        match complaints::decide(&app, &viewer.actor, id, outcome, &form.reasoning).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/gebied/bezwaren/{id}?melding=besloten"
                )));
            }
            Err(e @ AppError::Conflict(_)) => {
                errors.refused(&e, "reasoning", tr.t("complaints.decide.error.conflict"));
            }
            Err(e @ (AppError::Invalid(_) | AppError::BanRule(_))) => {
                errors.refused(&e, "reasoning", tr.t("complaints.decide.error.reasoning"));
            }
            Err(e) => return Err(WebError::app(e, lang)),
        }
    }
    let v = complaints::get(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, lang))?;
    let mut page = detail_page(&viewer, &v, None);
    page.outcome = form.outcome;
    page.reasoning = form.reasoning;
    let status = errors.status();
    page.decide_errors = errors;
    Ok((status, page).into_response())
}

// ------------------------------------------------------ decision letter

/// The decision letter's sentences in the letter's language.
pub struct DecisionText {
    pub sender_name: String,
    pub sender_lines: Vec<String>,
    pub reference: Vec<Fact>,
    pub addressee: String,
    pub born: String,
    pub salutation: String,
    pub received: String,
    pub outcome_heading: String,
    pub outcome: Vec<String>,
    pub reasoning: Option<String>,
    pub facts: Vec<Fact>,
    pub binding: String,
    pub questions: String,
    pub rights: Vec<String>,
    pub closing: String,
    pub signature: String,
}

fn fill(tr: &Tr, key: &str, values: &[&str]) -> String {
    let mut text = tr.t(key).to_owned();
    for (i, v) in values.iter().enumerate() {
        text = text.replace(&format!("{{{i}}}"), v);
    }
    text
}

impl DecisionText {
    pub fn new(tr: &Tr, l: &DecisionLetter) -> Self {
        let day = |d: Date| tr.date(d);
        let iso_day = |s: &str| {
            cho_core::dates::parse_iso_date(s, "date").map_or_else(|_| s.to_owned(), |d| tr.date(d))
        };
        let area = if l.municipality.is_empty() {
            l.area_name.clone()
        } else {
            format!("{} ({})", l.area_name, l.municipality)
        };
        let c = &l.complaint;
        let mut sender_lines: Vec<String> = l
            .controller_address
            .as_deref()
            .map(|a| a.lines().map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(e) = &l.committee_email {
            sender_lines.push(e.clone());
        } else if let Some(e) = &l.contact_email {
            sender_lines.push(e.clone());
        }
        let decided_on = c.line.decided_on.map(day).unwrap_or_default();
        let outcome = match c.line.outcome {
            Some(Outcome::Upheld) => vec![
                fill(
                    tr,
                    "complaints.letter.upheld",
                    &[&day(l.starts_on), &day(l.ends_on)],
                ),
                fill(tr, "complaints.letter.upheld_list", &[&area]),
                tr.t("complaints.letter.upheld_data").to_owned(),
            ],
            _ => vec![
                fill(tr, "complaints.letter.rejected", &[&day(l.ends_on)]),
                fill(tr, "complaints.letter.rejected_where", &[&area]),
            ],
        };
        let mut received = fill(
            tr,
            "complaints.letter.received",
            &[&day(c.line.received_on), &l.reference],
        );
        if c.line.late {
            received.push(' ');
            received.push_str(tr.t("complaints.letter.late"));
        }
        let privacy = l
            .privacy_contact
            .clone()
            .or_else(|| l.contact_email.clone())
            .unwrap_or_else(|| l.controller_name.clone().unwrap_or_else(|| area.clone()));
        Self {
            sender_name: l
                .controller_name
                .clone()
                .unwrap_or_else(|| fill(tr, "complaints.letter.sender_default", &[&area])),
            sender_lines,
            reference: vec![
                fact(tr, "complaints.letter.date", day(l.dated)),
                fact(tr, "complaints.letter.reference", l.reference.clone()),
                fact(
                    tr,
                    "complaints.letter.subject_label",
                    tr.t("complaints.letter.subject"),
                ),
            ],
            addressee: format!("{} {}", l.given_names, l.surname),
            born: fill(tr, "complaints.letter.born", &[&iso_day(&l.birth_date)]),
            salutation: fill(
                tr,
                "complaints.letter.salutation",
                &[&l.given_names, &l.surname],
            ),
            received,
            outcome_heading: fill(tr, "complaints.letter.outcome_heading", &[&decided_on]),
            outcome,
            reasoning: c.reasoning.clone(),
            facts: vec![
                fact(tr, "complaints.letter.fact.venue", l.venue_name.clone()),
                fact(
                    tr,
                    "complaints.letter.fact.category",
                    l.category_name.clone(),
                ),
                fact(
                    tr,
                    "complaints.letter.fact.period",
                    fill(
                        tr,
                        "complaints.letter.period",
                        &[&day(l.starts_on), &day(l.ends_on)],
                    ),
                ),
                fact(tr, "complaints.letter.fact.area", area.clone()),
                fact(
                    tr,
                    "complaints.letter.fact.received_on",
                    day(c.line.received_on),
                ),
                fact(tr, "complaints.letter.fact.decided_on", decided_on.clone()),
            ],
            binding: tr.t("complaints.letter.binding").to_owned(),
            questions: match (&l.committee_address, &l.committee_email) {
                (Some(a), _) => fill(tr, "complaints.letter.questions", &[&a.replace('\n', ", ")]),
                (None, Some(e)) => fill(tr, "complaints.letter.questions", &[e]),
                (None, None) => tr.t("complaints.letter.questions_none").to_owned(),
            },
            rights: vec![
                fill(tr, "complaints.letter.rights", &[&privacy, &l.reference]),
                tr.t("complaints.letter.ap").to_owned(),
            ],
            closing: tr.t("complaints.letter.closing").to_owned(),
            signature: fill(tr, "complaints.letter.signature", &[&area]),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "complaints/letter.html")]
pub struct DecisionLetterPage {
    pub frame: LetterFrame,
    pub text: DecisionText,
}

#[derive(Deserialize, Default)]
pub struct LetterQuery {
    taal: Option<String>,
}

/// `GET /gebied/bezwaren/{id}/brief?taal=nl|en`: the decision letter,
/// printable; an audited read.
pub async fn letter(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<LetterQuery>,
) -> Result<DecisionLetterPage, WebError> {
    let id = parse_id(&id, viewer.lang)?;
    let lang = letter_lang(q.taal.as_deref(), viewer.lang)
        .ok_or_else(|| WebError::page(StatusCode::BAD_REQUEST, "bad_request", viewer.lang))?;
    let l = complaints::letter(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let back = format!("/gebied/bezwaren/{id}");
    let title = fill(&Tr::new(lang), "complaints.letter.title", &[&l.reference]);
    let frame = LetterFrame::page(
        lang,
        viewer.lang,
        title,
        (back.clone(), "complaints.letter.back"),
        &format!("{back}/brief"),
    );
    let text = DecisionText::new(&frame.tr, &l);
    Ok(DecisionLetterPage { frame, text })
}
