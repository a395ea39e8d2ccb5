//! The notice and its letter over HTTP (issue 9 item 2): record the notice
//! after issue, and the notice letter as printable HTML in the language
//! asked for.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde::Deserialize;
use serde_json::json;

use super::bans::NoticeBody;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, Auth, Id, iso_date};
use super::{Api, Operation};
use crate::services::bans::{self, NoticeInput};
use crate::services::{App, letters};
use crate::web::i18n::Lang;
use crate::web::letters::{LetterFrame, NoticeLetterPage, notice_title};

pub fn routes(api: Api) -> Api {
    api.route(
        Operation::new("PUT", "/api/v1/bans/{id}/notice", "Record (or replace) the notice of a ban: the day between the incident and today, how, and an optional note (sealed)")
            .roles("owner (own venues); beheerder (own area)")
            .body(|| json!({"notified_on": "2026-11-29", "method": "post", "note": null})),
        put(record_notice),
    )
    .route(
        Operation::new("GET", "/api/v1/bans/{id}/letter", "The notice letter as printable HTML, in ?lang=nl|en (default nl); an audited read")
            .roles("owner (own venues); beheerder (own area)"),
        get(letter),
    )
}

async fn record_notice(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<NoticeBody>,
) -> Result<StatusCode, ApiError> {
    let input = NoticeInput {
        notified_on: iso_date(&b.notified_on, "notified_on")?,
        method: b.method,
        note: b.note,
    };
    bans::record_notice(&app, &auth.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum LetterLang {
    Nl,
    En,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterParams {
    lang: Option<LetterLang>,
}

async fn letter(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiQuery(p): ApiQuery<LetterParams>,
) -> Result<NoticeLetterPage, ApiError> {
    let lang = match p.lang {
        Some(LetterLang::En) => Lang::En,
        Some(LetterLang::Nl) | None => Lang::Nl,
    };
    let l = letters::notice_letter(&app, &auth.actor, id).await?;
    Ok(NoticeLetterPage::new(
        LetterFrame::bare(lang, notice_title(lang, &l)),
        l,
    ))
}
