//! Extractors whose rejections are JSON errors like every other error.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::roles::Actor;
use crate::services::{App, AppError, auth};

/// The caller, from `Authorization: Bearer <session token>`; an account
/// whose password was reset is refused (403 `password_change_required`)
/// until it changes it.
pub struct Auth {
    pub actor: Actor,
}

impl FromRequestParts<App> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let SessionAuth { actor, .. } = SessionAuth::from_request_parts(parts, app).await?;
        if actor.must_change_password {
            return Err(AppError::PasswordChangeRequired.into());
        }
        Ok(Self { actor })
    }
}

/// The caller of the few routes open to an account that must change its
/// password first (password change, `me`, logout).
pub struct SessionAuth {
    pub actor: Actor,
    pub token: String,
}

impl FromRequestParts<App> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = credentials(&parts.headers, "Bearer")
            .ok_or(AppError::Unauthenticated)?
            .to_owned();
        let actor = auth::authenticate(app, &token).await?;
        Ok(Self { actor, token })
    }
}

/// The credentials of `Authorization: <scheme> <credentials>`; the scheme
/// is case-insensitive (RFC 9110, 11.1), the credentials at most 100
/// characters.
pub fn credentials<'a>(headers: &'a axum::http::HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.trim_start().split_once(' ')?;
    let rest = rest.trim();
    (given.eq_ignore_ascii_case(scheme) && !rest.is_empty() && rest.len() <= 100).then_some(rest)
}

/// `axum::Json` with JSON rejections.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, app).await?;
        Ok(Self(value))
    }
}

/// `axum::extract::Path` with JSON rejections.
pub struct Id(pub i64);

impl FromRequestParts<App> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) =
            axum::extract::Path::<i64>::from_request_parts(parts, app).await?;
        if id <= 0 {
            return Err(ApiError::from(AppError::NotFound("object")));
        }
        Ok(Self(id))
    }
}

/// `axum::extract::Query` with JSON rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<App> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, app).await?;
        Ok(Self(value))
    }
}

/// A request's `YYYY-MM-DD` field, as a 422 naming the field when malformed.
pub fn iso_date(text: &str, field: &'static str) -> Result<time::Date, AppError> {
    cho_core::dates::parse_iso_date(text, field).map_err(|e| AppError::Invalid(e.to_string()))
}

/// An optional `YYYY-MM-DD` field.
pub fn optional_iso_date(
    text: Option<&str>,
    field: &'static str,
) -> Result<Option<time::Date>, AppError> {
    text.map(|t| iso_date(t, field)).transpose()
}
