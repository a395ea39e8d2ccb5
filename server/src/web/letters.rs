//! Letters to the banned person (issue 9): printable A4 pages on
//! `templates/letters/layout.html`, in the language chosen per letter
//! (`?taal=nl|en` on the pages, `?lang=nl|en` on the API), independent of
//! the page language. A letter template is a struct with a `frame:
//! LetterFrame` (what the layout reads) and its own view.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::Date;

use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, see_other};
use crate::domain::notice::NoticeMethod;
use crate::services::bans::{self, NoticeInput};
use crate::services::letters::{self as letter_service, NoticeFormView, NoticeLetter};
use crate::services::{App, AppError};

use super::assets;
use super::i18n::{Lang, Tr};

/// What the letter layout reads.
pub struct LetterFrame {
    /// The letter's language: every text of the sheet.
    pub tr: Tr,
    /// The page's language: the toolbar only.
    pub ui: Tr,
    /// The document title (the browser's tab, a saved PDF's name).
    pub title: String,
    pub stylesheet: &'static str,
    /// The page the toolbar returns to and the link's text (in the page
    /// language, naming that page); `None` (the JSON API's HTML): no
    /// toolbar at all.
    pub back: Option<(String, String)>,
    /// The toolbar's links to this letter in the other language(s):
    /// (href, label in the page language).
    pub languages: Vec<(String, String)>,
}

impl LetterFrame {
    /// A letter without toolbar (the API's HTML).
    pub fn bare(lang: Lang, title: String) -> Self {
        Self {
            tr: Tr::new(lang),
            ui: Tr::new(lang),
            title,
            stylesheet: assets::stylesheet_url(),
            back: None,
            languages: Vec::new(),
        }
    }

    /// A letter page: a toolbar in the page language back to `back`
    /// (its href and the catalogue key of the link text, which names the
    /// page it goes to), with a link to the letter in the other language
    /// (`path?taal=..`).
    pub fn page(lang: Lang, ui: Lang, title: String, back: (String, &str), path: &str) -> Self {
        let ui_tr = Tr::new(ui);
        let other = lang.other();
        let label = ui_tr.t(match other {
            Lang::Nl => "letters.toolbar.in_dutch",
            Lang::En => "letters.toolbar.in_english",
        });
        Self {
            languages: vec![(format!("{path}?taal={}", other.code()), label.to_owned())],
            back: Some((back.0, ui_tr.t(back.1).to_owned())),
            ui: ui_tr,
            ..Self::bare(lang, title)
        }
    }
}

/// The letter language of a `?taal=` / `?lang=` value: absent is the page
/// language; anything but `nl` or `en` is refused (400).
pub fn letter_lang(value: Option<&str>, default: Lang) -> Option<Lang> {
    match value {
        None => Some(default),
        Some(code) => Lang::parse(code),
    }
}

/// The controller fields on the beheerder's contact page (web/area.rs):
/// (form name, input kind); labels `letters.contact.<name>`.
pub const CONTROLLER_FIELDS: [(&str, &str); 4] = [
    ("controller_name", "text"),
    ("controller_address", "textarea"),
    ("controller_statement", "textarea"),
    ("public_page_url", "url"),
];

// ---------------------------------------------------------------------------
// The notice letter.

/// One labelled fact of the letter.
pub struct LetterFact {
    pub key: String,
    pub value: String,
}

/// The notice letter's sentences, in the letter's language: made here from
/// the catalogue (`letters.notice.*`) so the template only places them.
pub struct NoticeText {
    pub sender_name: String,
    pub sender_lines: Vec<String>,
    pub reference: Vec<LetterFact>,
    pub addressee: String,
    pub born: String,
    pub salutation: String,
    pub decision: String,
    pub facts: Vec<LetterFact>,
    pub where_intro: String,
    pub where_list_url: String,
    pub trespass: String,
    pub complaint: Vec<String>,
    pub committee: Option<String>,
    pub committee_email: Option<String>,
    pub purpose: Vec<String>,
    pub recorded: Vec<String>,
    pub recipients: String,
    pub controllers: Vec<String>,
    pub rights_intro: String,
    pub rights: Vec<String>,
    pub rights_how: Vec<String>,
    pub ap: Vec<String>,
    pub retention: String,
    pub closing: String,
    pub signature: String,
    pub footer: String,
}

/// `{0}`, `{1}`, ... of a catalogue text filled in.
fn fill(tr: &Tr, key: &str, values: &[&str]) -> String {
    let mut text = tr.t(key).to_owned();
    for (i, v) in values.iter().enumerate() {
        text = text.replace(&format!("{{{i}}}"), v);
    }
    text
}

impl NoticeText {
    pub fn new(tr: &Tr, l: &NoticeLetter) -> Self {
        let day = |d: Date| tr.date(d);
        let t = |key: &str| tr.t(key).to_owned();
        let area = format!("{} ({})", l.area_name, l.municipality);
        let mut sender_lines: Vec<String> = l
            .controller_address
            .as_deref()
            .map(|a| a.lines().map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(email) = &l.contact_email {
            sender_lines.push(email.clone());
        }
        if let Some(phone) = &l.contact_phone {
            sender_lines.push(phone.clone());
        }
        let sender_name = l
            .controller_name
            .clone()
            .unwrap_or_else(|| fill(tr, "letters.notice.sender_default", &[&area]));
        let category = match tr.lang {
            Lang::Nl => l.category_description_nl.as_deref(),
            Lang::En => l.category_description_en.as_deref(),
        }
        .map_or_else(
            || l.category_name.clone(),
            |d| format!("{}: {d}", l.category_name),
        );
        let complaint_deadline = day(l.complaint_deadline);
        let window = l.complaint_window_days.to_string();
        let mut complaint = vec![fill(tr, "letters.notice.complaint_route", &[&window])];
        complaint.push(match l.notified_on {
            Some(on) => fill(
                tr,
                "letters.notice.complaint_deadline_notice",
                &[&day(on), &complaint_deadline],
            ),
            None => fill(
                tr,
                "letters.notice.complaint_deadline_today",
                &[&window, &day(l.dated), &complaint_deadline],
            ),
        });
        complaint.push(fill(
            tr,
            "letters.notice.complaint_content",
            &[&l.reference],
        ));
        complaint.push(t("letters.notice.complaint_not_suspensive"));
        let mut controllers = vec![fill(
            tr,
            "letters.notice.controllers",
            &[&area, &l.issuing_venue.name],
        )];
        if let Some(statement) = &l.controller_statement {
            controllers.push(statement.clone());
        }
        controllers.push(match &l.controller_name {
            Some(name) => fill(tr, "letters.notice.kept_by", &[name]),
            None => t("letters.notice.kept_by_beheerder"),
        });
        let mut purpose = vec![t("letters.notice.purpose")];
        purpose.push(match &l.permit_reference {
            Some(permit) => fill(tr, "letters.notice.legal_basis_permit", &[permit]),
            None => t("letters.notice.legal_basis"),
        });
        let privacy = l
            .privacy_contact
            .clone()
            .or_else(|| l.controller_name.clone())
            .unwrap_or_else(|| l.issuing_venue.name.clone());
        Self {
            sender_name,
            sender_lines,
            reference: vec![
                LetterFact {
                    key: t("letters.notice.date"),
                    value: day(l.dated),
                },
                LetterFact {
                    key: t("letters.notice.reference"),
                    value: l.reference.clone(),
                },
                LetterFact {
                    key: t("letters.notice.subject_label"),
                    value: t("letters.notice.subject"),
                },
            ],
            addressee: format!("{} {}", l.given_names, l.surname),
            born: fill(tr, "letters.notice.born", &[&day(l.birth_date)]),
            salutation: fill(
                tr,
                "letters.notice.salutation",
                &[&l.given_names, &l.surname],
            ),
            decision: fill(
                tr,
                "letters.notice.decision",
                &[
                    &day(l.incident_on),
                    &l.issuing_venue.name,
                    &area,
                    &day(l.starts_on),
                    &day(l.ends_on),
                ],
            ),
            facts: vec![
                LetterFact {
                    key: t("letters.notice.fact.incident"),
                    value: day(l.incident_on),
                },
                LetterFact {
                    key: t("letters.notice.fact.category"),
                    value: category,
                },
                LetterFact {
                    key: t("letters.notice.fact.period"),
                    value: fill(
                        tr,
                        "letters.notice.period",
                        &[&day(l.starts_on), &day(l.ends_on)],
                    ),
                },
                LetterFact {
                    key: t("letters.notice.fact.decided_by"),
                    value: fill(
                        tr,
                        "letters.notice.decided_by",
                        &[&l.issuing_venue.name, &l.issuing_venue.address, &area],
                    ),
                },
                LetterFact {
                    key: t("letters.notice.fact.area"),
                    value: area.clone(),
                },
            ],
            where_intro: fill(tr, "letters.notice.where", &[&area, &day(l.dated)]),
            where_list_url: fill(tr, "letters.notice.where_list", &[&l.public_url]),
            trespass: t("letters.notice.trespass"),
            complaint,
            committee: l.committee_address.clone(),
            committee_email: l.committee_email.clone(),
            purpose,
            recorded: vec![
                t("letters.notice.recorded"),
                fill(tr, "letters.notice.source", &[&l.issuing_venue.name]),
                t("letters.notice.door"),
            ],
            recipients: t("letters.notice.recipients"),
            controllers,
            rights_intro: t("letters.notice.rights_intro"),
            rights: [
                "access",
                "rectification",
                "erasure",
                "restriction",
                "objection",
            ]
            .iter()
            .map(|r| t(&format!("letters.notice.right.{r}")))
            .collect(),
            rights_how: vec![
                fill(tr, "letters.notice.rights_how", &[&privacy, &l.reference]),
                t("letters.notice.rights_answer"),
            ],
            ap: vec![t("letters.notice.ap"), t("letters.notice.ap_address")],
            retention: if l.retention_days > 0 {
                fill(
                    tr,
                    "letters.notice.retention",
                    &[&day(l.ends_on), &l.retention_days.to_string()],
                )
            } else {
                fill(tr, "letters.notice.retention_none", &[&day(l.ends_on)])
            },
            closing: t("letters.notice.closing"),
            signature: fill(
                tr,
                "letters.notice.signature",
                &[&l.issuing_venue.name, &area],
            ),
            footer: fill(tr, "letters.notice.footer", &[&l.reference, &l.public_url]),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/notice.html")]
pub struct NoticeLetterPage {
    pub frame: LetterFrame,
    pub l: NoticeLetter,
    pub text: NoticeText,
}

impl NoticeLetterPage {
    pub fn new(frame: LetterFrame, l: NoticeLetter) -> Self {
        let text = NoticeText::new(&frame.tr, &l);
        Self { frame, l, text }
    }
}

/// The title of a notice letter (the tab, a saved PDF's name).
pub fn notice_title(lang: Lang, l: &NoticeLetter) -> String {
    fill(&Tr::new(lang), "letters.notice.title", &[&l.reference])
}

#[derive(Deserialize, Default)]
pub struct LetterQuery {
    taal: Option<String>,
}

/// Where a ban's pages live: the owner's `/verboden/{id}`, the
/// beheerder's `/gebied/verboden/{id}`.
fn ban_path(viewer: &Viewer, id: i64) -> String {
    if viewer.actor.role == crate::domain::roles::Role::Beheerder {
        format!("/gebied/verboden/{id}")
    } else {
        format!("/verboden/{id}")
    }
}

/// `GET /verboden/{id}/brief?taal=nl|en` (owner) and
/// `GET /gebied/verboden/{id}/brief?taal=..` (beheerder): the notice
/// letter, printable; an audited read.
pub async fn notice_letter(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<LetterQuery>,
) -> Result<NoticeLetterPage, WebError> {
    let lang = letter_lang(q.taal.as_deref(), viewer.lang)
        .ok_or_else(|| WebError::page(StatusCode::BAD_REQUEST, "bad_request", viewer.lang))?;
    let l = letter_service::notice_letter(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let back = ban_path(&viewer, id);
    let frame = LetterFrame::page(
        lang,
        viewer.lang,
        notice_title(lang, &l),
        (back.clone(), "letters.toolbar.back"),
        &format!("{back}/brief"),
    );
    Ok(NoticeLetterPage::new(frame, l))
}

// ---------------------------------------------------------------------------
// The notice form (recorded after issue, or changed).

#[derive(Template, WebTemplate)]
#[template(path = "letters/notice_form.html")]
pub struct NoticeFormPage {
    page: Page,
    action: String,
    back: String,
    /// `None`: no notice recorded yet.
    recorded: Option<String>,
    range_hint: String,
    notified_on: String,
    method: String,
    note: String,
    /// (field id, message), in the order of the form.
    errors: Vec<(&'static str, String)>,
}

impl NoticeFormPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The methods as (value, label, selected).
    fn methods(&self) -> Vec<(&'static str, &str, bool)> {
        NoticeMethod::ALL
            .iter()
            .map(|m| {
                (
                    m.as_str(),
                    self.page.tr.t(super::owner::notice_method_key(*m)),
                    self.method == m.as_str(),
                )
            })
            .collect()
    }
}

fn notice_form_page(viewer: &Viewer, v: &NoticeFormView) -> NoticeFormPage {
    let tr = Tr::new(viewer.lang);
    let back = ban_path(viewer, v.ban_id);
    let action = format!("{back}/uitreiking");
    let uri = action
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    NoticeFormPage {
        page: Page::for_viewer(viewer, &uri, &tr.t1("letters.form.title", v.ban_id)),
        action,
        back,
        recorded: v.notified_on.zip(v.method).map(|(on, m)| {
            fill(
                &tr,
                "letters.form.recorded",
                &[&tr.date(on), tr.t(super::owner::notice_method_key(m))],
            )
        }),
        range_hint: fill(
            &tr,
            "letters.form.date_hint",
            &[&tr.date(v.incident_on), &tr.date(v.today)],
        ),
        notified_on: v
            .notified_on
            .map(cho_core::dates::format_iso_date)
            .unwrap_or_default(),
        method: v.method.map(|m| m.as_str().to_owned()).unwrap_or_default(),
        note: String::new(),
        errors: Vec::new(),
    }
}

/// `GET /verboden/{id}/uitreiking` and `/gebied/verboden/{id}/uitreiking`.
pub async fn notice_form(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<NoticeFormPage, WebError> {
    let v = letter_service::notice_form(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(notice_form_page(&viewer, &v))
}

#[derive(Deserialize)]
pub struct NoticeFormFields {
    #[serde(default)]
    notified_on: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    note: String,
}

/// `POST .../uitreiking`: records the notice, back to the ban.
pub async fn notice_save(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<NoticeFormFields>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let day = cho_core::dates::parse_iso_date(form.notified_on.trim(), "notified_on").ok();
    let method = NoticeMethod::parse(form.method.trim());
    let mut errors = Vec::new();
    if day.is_none() {
        errors.push(("notified_on", tr.t("letters.form.error.date").to_owned()));
    }
    if method.is_none() {
        errors.push(("method", tr.t("letters.form.error.method").to_owned()));
    }
    if let (Some(notified_on), Some(method)) = (day, method) {
        let input = NoticeInput {
            notified_on,
            method,
            note: Some(form.note.clone()).filter(|n| !n.trim().is_empty()),
        };
        match bans::record_notice(&app, &viewer.actor, id, &input).await {
            Ok(()) => {
                return Ok(see_other(&format!(
                    "{}?melding=uitreiking",
                    ban_path(&viewer, id)
                )));
            }
            Err(AppError::Invalid(message)) if message.starts_with("notified_on") => {
                errors.push(("notified_on", tr.t("letters.form.error.range").to_owned()));
            }
            Err(AppError::Invalid(_) | AppError::BanRule(_)) => {
                errors.push(("note", tr.t("letters.form.error.note").to_owned()));
            }
            Err(e) => return Err(WebError::app(e, viewer.lang)),
        }
    }
    let v = letter_service::notice_form(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let mut page = notice_form_page(&viewer, &v);
    page.notified_on = form.notified_on;
    page.method = form.method;
    page.note = form.note;
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
