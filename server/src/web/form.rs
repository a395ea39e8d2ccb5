//! A submitted form's errors, shared by the same-shape form handlers
//! (parse, validate, call one service, redirect; or the page again with
//! what was typed and what is wrong): `requests.rs`, `complaints.rs`.
//! Each error belongs to a field (the error summary at the top links to
//! it, GOV.UK pattern; the field shows it too), and the page comes back
//! with 422, or with the status of the service's refusal.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::classify;
use super::i18n::Tr;
use crate::domain::ban::MAX_TEXT;
use crate::services::AppError;

/// One message of a form: the id of its field and its text.
pub struct FieldError {
    pub field: String,
    pub text: String,
}

/// A form's errors: listed at the top (each linking to its field) and
/// shown at the field; templates loop over `errors.0`.
#[derive(Default)]
pub struct FormErrors(pub Vec<FieldError>, Option<StatusCode>);

impl FormErrors {
    /// The first error of `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.text.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds an error to `field` unless it has one (the first says what to
    /// fix first).
    pub fn add(&mut self, field: &str, text: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push(FieldError {
                field: field.to_owned(),
                text: text.into(),
            });
        }
    }

    /// The service refused valid-looking input: `text` at `field`, and
    /// the page comes back with the refusal's status.
    pub fn refused(&mut self, e: &AppError, field: &str, text: impl Into<String>) {
        self.1 = Some(classify(e).0);
        self.add(field, text);
    }

    /// A required free text: `missing` (a catalogue key) when empty, and
    /// `too_long` (a key with `{0}` for the limit) beyond [`MAX_TEXT`].
    pub fn required_text(
        &mut self,
        tr: &Tr,
        field: &str,
        value: &str,
        missing: &str,
        too_long: &str,
    ) {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, tr.t(missing));
        } else if value.chars().count() > MAX_TEXT {
            self.add(field, tr.t1(too_long, MAX_TEXT));
        }
    }

    /// The status the page comes back with: the service's refusal's, or
    /// 422 for what the form itself found.
    pub fn status(&self) -> StatusCode {
        self.1.unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }

    /// The page again, with this status.
    pub fn respond(&self, page: impl IntoResponse) -> Response {
        (self.status(), page).into_response()
    }
}
