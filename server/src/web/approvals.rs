//! Four-eyes and the repeat rules on the beheerder's pages (issue 9 items
//! 5 and 6): the approval queue (`/gebied/goedkeuren`) with an approve and
//! a reject form (reason) per requested ban, and the protocol's four-eyes
//! and repeat rules (`/gebied/protocol/vier-ogen`). The beheerder's ban
//! form on a venue owner's instruction is the owner's form
//! (`/gebied/verboden/nieuw`, see `owner.rs`), which `bans::issue` serves
//! for both roles.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::i18n::Tr;
use super::session::{CsrfForm, Viewer};
use super::{Page, WebError, classify, error_text, see_other};
use crate::domain::repeat::RepeatRule;
use crate::services::approvals::{self, QueuedBan, RepeatInput, ReviewChanges, ReviewRulesView};
use crate::services::{App, AppError};

/// The messages a redirect may ask for (`?klaar=<code>`), each with
/// `approvals.done.<code>` in both catalogues.
pub const DONE_CODES: [&str; 3] = ["approved", "rejected", "rules"];

#[derive(Deserialize)]
pub struct Done {
    klaar: Option<String>,
}

impl Done {
    fn message(&self, tr: &Tr) -> Option<String> {
        let code = self.klaar.as_deref()?;
        DONE_CODES
            .contains(&code)
            .then(|| tr.t(&format!("approvals.done.{code}")).to_owned())
    }
}

/// The catalogue key saying which repeat rule set a ban's period.
pub fn repeat_key(rule: &RepeatRule) -> &'static str {
    match rule {
        RepeatRule::Breach => "approvals.repeat.breach",
        RepeatRule::Repeat => "approvals.repeat.repeat",
    }
}

/// "Without a decision, this request is deleted on <day>": a requested
/// ban made at `requested_at` (unix seconds) goes
/// `repeat::UNDECIDED_REQUEST_DAYS` later (`services::retention`).
pub fn deleted_on_text(tr: &Tr, requested_at: i64) -> String {
    let at = requested_at + crate::domain::repeat::UNDECIDED_REQUEST_DAYS * 86_400;
    let day = cho_core::dates::door_date(at).map_or_else(|_| String::new(), |d| tr.date(d));
    tr.t1("approvals.deleted_on", day)
}

// ---------------------------------------------------------------- the queue

#[derive(Template, WebTemplate)]
#[template(path = "approvals/queue.html")]
pub struct QueuePage {
    page: Page,
    queue: Vec<QueuedBan>,
    done: Option<String>,
    /// The ban whose rejection was refused, what was typed, and why.
    refused: Option<(i64, String, String)>,
}

impl QueuePage {
    fn day(&self, iso: &str) -> String {
        cho_core::dates::parse_iso_date(iso, "date")
            .map_or_else(|_| iso.to_owned(), |d| self.page.tr.date(d))
    }

    fn period(&self, q: &QueuedBan) -> String {
        self.page
            .tr
            .t1("approvals.queue.period", self.day(&q.ban.starts_on))
            .replace("{1}", &self.day(&q.ban.ends_on))
    }

    fn repeat_text(&self, q: &QueuedBan) -> Option<String> {
        q.ban
            .repeat
            .as_ref()
            .map(|r| self.page.tr.t1(repeat_key(&r.rule), r.days))
    }

    fn deleted_on(&self, q: &QueuedBan) -> String {
        deleted_on_text(&self.page.tr, q.ban.issued_at)
    }

    fn reason_error(&self, id: &i64) -> Option<&str> {
        match &self.refused {
            Some((refused, _, error)) if refused == id => Some(error),
            _ => None,
        }
    }

    fn reason_typed(&self, id: &i64) -> &str {
        match &self.refused {
            Some((refused, typed, _)) if refused == id => typed,
            _ => "",
        }
    }
}

async fn queue_page(
    app: &App,
    viewer: &Viewer,
    done: Option<String>,
    refused: Option<(i64, String, String)>,
) -> Result<QueuePage, WebError> {
    let queue = approvals::queue(app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    let tr = Tr::new(viewer.lang);
    Ok(QueuePage {
        page: Page::for_viewer(
            viewer,
            &Uri::from_static("/gebied/goedkeuren"),
            tr.t("approvals.queue.title"),
        ),
        queue,
        done,
        refused,
    })
}

/// `GET /gebied/goedkeuren`.
pub async fn queue(
    State(app): State<App>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<QueuePage, WebError> {
    let done = done.message(&Tr::new(viewer.lang));
    queue_page(&app, &viewer, done, None).await
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /gebied/goedkeuren/{id}/goedkeuren`.
pub async fn approve(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    approvals::approve(&app, &viewer.actor, id)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(see_other("/gebied/goedkeuren?klaar=approved"))
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// `POST /gebied/goedkeuren/{id}/afwijzen`: a missing reason brings the
/// queue back with the error at that ban's reason field.
pub async fn reject(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RejectForm>,
) -> Result<Response, WebError> {
    match approvals::reject(&app, &viewer.actor, id, &form.reason).await {
        Ok(()) => Ok(see_other("/gebied/goedkeuren?klaar=rejected")),
        Err(e @ AppError::BanRule(_)) => {
            let status = classify(&e).0;
            let error = Tr::new(viewer.lang)
                .t("approvals.reject.error.reason")
                .to_owned();
            let page = queue_page(&app, &viewer, None, Some((id, form.reason, error))).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(WebError::app(e, viewer.lang)),
    }
}

// ---------------------------------------------------------------- the rules

#[derive(Deserialize, Default)]
pub struct RulesForm {
    #[serde(default)]
    four_eyes: String,
    #[serde(default)]
    breach_days: String,
    #[serde(default)]
    repeat_count: String,
    #[serde(default)]
    lookback_days: String,
}

impl RulesForm {
    fn of(r: &ReviewRulesView) -> Self {
        let text = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        Self {
            four_eyes: if r.four_eyes { "1" } else { "" }.to_owned(),
            breach_days: text(r.repeat_rules.breach_days),
            repeat_count: text(r.repeat_rules.repeat_count),
            lookback_days: r.repeat_rules.lookback_days.to_string(),
        }
    }
}

/// A field's error on the rules form.
pub struct RulesError {
    field: &'static str,
    label_key: &'static str,
    text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "approvals/rules.html")]
pub struct RulesPage {
    page: Page,
    form: RulesForm,
    errors: Vec<RulesError>,
    /// A refusal not tied to one field (the look-back against the
    /// retention names both).
    error: Option<String>,
}

impl RulesPage {
    fn field_error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.text.as_str())
    }

    fn has_errors(&self) -> bool {
        self.error.is_some() || !self.errors.is_empty()
    }

    /// The number fields as (name, label key, hint key, value).
    fn numbers(&self) -> [(&'static str, &'static str, &'static str, &str); 3] {
        [
            (
                "breach_days",
                "approvals.rules.breach_days",
                "approvals.rules.breach_days_hint",
                self.form.breach_days.as_str(),
            ),
            (
                "repeat_count",
                "approvals.rules.repeat_count",
                "approvals.rules.repeat_count_hint",
                self.form.repeat_count.as_str(),
            ),
            (
                "lookback_days",
                "approvals.rules.lookback_days",
                "approvals.rules.lookback_days_hint",
                self.form.lookback_days.as_str(),
            ),
        ]
    }
}

fn rules_page(viewer: &Viewer, form: RulesForm) -> RulesPage {
    let tr = Tr::new(viewer.lang);
    RulesPage {
        page: Page::for_viewer(
            viewer,
            &Uri::from_static("/gebied/protocol/vier-ogen"),
            tr.t("approvals.rules.title"),
        ),
        form,
        errors: Vec::new(),
        error: None,
    }
}

/// `GET /gebied/protocol/vier-ogen`.
pub async fn rules(State(app): State<App>, viewer: Viewer) -> Result<RulesPage, WebError> {
    let current = approvals::my_review_rules(&app, &viewer.actor)
        .await
        .map_err(|e| WebError::app(e, viewer.lang))?;
    Ok(rules_page(&viewer, RulesForm::of(&current)))
}

/// An optional whole number: empty is `None`; anything else not a number
/// is an error.
fn optional_number(text: &str) -> Result<Option<i64>, ()> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>().map(Some).map_err(|_| ())
}

/// `POST /gebied/protocol/vier-ogen`.
pub async fn rules_save(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<RulesForm>,
) -> Result<Response, WebError> {
    let tr = Tr::new(viewer.lang);
    let mut errors = Vec::new();
    let mut number =
        |field: &'static str, label_key: &'static str, text: &str| match optional_number(text) {
            Ok(n) => n,
            Err(()) => {
                errors.push(RulesError {
                    field,
                    label_key,
                    text: tr.t("approvals.rules.error.number").to_owned(),
                });
                None
            }
        };
    let breach_days = number(
        "breach_days",
        "approvals.rules.breach_days",
        &form.breach_days,
    );
    let repeat_count = number(
        "repeat_count",
        "approvals.rules.repeat_count",
        &form.repeat_count,
    );
    let lookback_days = number(
        "lookback_days",
        "approvals.rules.lookback_days",
        &form.lookback_days,
    );
    if !errors.is_empty() {
        let mut page = rules_page(&viewer, form);
        page.errors = errors;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let changes = ReviewChanges {
        four_eyes: Some(!form.four_eyes.is_empty()),
        repeat: Some(RepeatInput {
            breach_days,
            repeat_count,
            lookback_days: lookback_days.unwrap_or(0),
        }),
    };
    match approvals::set_my_review_rules(&app, &viewer.actor, changes).await {
        Ok(()) => Ok(see_other("/gebied/protocol?klaar=settings")),
        Err(e @ AppError::Protocol(_)) => {
            let (status, code, wait) = classify(&e);
            let mut page = rules_page(&viewer, form);
            // The precise rule (which field, which numbers) in the
            // person's language.
            page.error = Some(match &e {
                AppError::Protocol(crate::domain::protocol::ProtocolError::Repeat(r)) => {
                    rule_error_text(&tr, r)
                }
                _ => error_text(&tr, code, wait),
            });
            Ok((status, page).into_response())
        }
        Err(e) => Err(WebError::app(e, viewer.lang)),
    }
}

fn rule_error_text(tr: &Tr, e: &crate::domain::repeat::RepeatRuleError) -> String {
    use crate::domain::repeat::RepeatRuleError as E;
    match e {
        E::BreachDays => tr.t("approvals.rules.error.breach_days").to_owned(),
        E::RepeatCount => tr.t("approvals.rules.error.repeat_count").to_owned(),
        E::NegativeLookback => tr.t("approvals.rules.error.number").to_owned(),
        E::LookbackBeyondRetention {
            lookback_days,
            retention_days,
        } => tr
            .t1("approvals.rules.error.lookback", lookback_days)
            .replace("{1}", &retention_days.to_string()),
    }
}
