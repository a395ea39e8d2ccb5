//! How errors leave the server: JSON `{"error": {"code", "message"}}` with a
//! stable code per kind. Server faults are logged once, here, and never
//! echoed; no message carries personal data.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::services::AppError;

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        let (status, code) = match &e {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            AppError::LoginThrottled { retry_after } => {
                return Self {
                    retry_after: Some(*retry_after),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, "login_throttled", message)
                };
            }
            AppError::TooManyAttempts { retry_after } => {
                return Self {
                    retry_after: Some(*retry_after),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message)
                };
            }
            AppError::Busy { retry_after } => {
                return Self {
                    retry_after: Some(*retry_after),
                    ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
                };
            }
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            AppError::BanRule(_) => (StatusCode::UNPROCESSABLE_ENTITY, "ban_rule"),
            AppError::Protocol(_) => (StatusCode::UNPROCESSABLE_ENTITY, "protocol_rule"),
            AppError::Storage(_) | AppError::Secrets(_) | AppError::Internal(_) => {
                tracing::error!(error = ?e, "request failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal server error",
                );
            }
        };
        Self::new(status, code, message)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
            _ => "invalid_json",
        };
        // serde's message names the field and the expected type; it never
        // quotes string values.
        Self::new(status, code, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "path parameter must be a positive integer",
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
