//! Door devices over HTTP: enrolment codes, enrolment, management, and the
//! device's sync and key endpoints (`Authorization: Device <credential>`).

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::ClientAddr;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, Auth, Id, credentials};
use super::{Api, Operation};
use crate::services::devices::{self, DeviceView, Door, EnrolmentCode, SyncAnswer};
use crate::services::door_counts;
use crate::services::propagation::MAX_WAIT_SECONDS;
use crate::services::{App, AppError};

pub fn routes(api: Api) -> Api {
    const DEVICE: &str = super::openapi::DEVICE_ROLE;
    api.route(
        Operation::new("POST", "/api/v1/venues/{id}/enrolment-codes", "Create a one-time enrolment code (15 minutes): `code`, `key_fingerprint` (the short fingerprint of the deployment's list-signing key, ABCD-EFGH-JKLM, typed beside the code), `link` (cho-enrol:<public URL>#code=<CODE>&key=<full fingerprint>) and `qr_svg` (a QR code of the link)")
            .roles("owner of the venue")
            .created()
            .body(|| json!({"name": "Voordeur"})),
        post(create_code),
    )
    .route(
        Operation::new("POST", "/api/v1/devices/enrol", "Trade an enrolment code for a device credential, the area key and the signing key")
            .public()
            .body(|| json!({"code": "ABCD-EF23-GH"})),
        post(enrol),
    )
    .route(Operation::new("GET", "/api/v1/areas/{id}/devices", "Door devices: the beheerder sees the area's, an owner their venues' with `checks_tonight` ({banned, possible_match, welcome, outdated, no_list, total} since 12:00 Dutch time of the night's first day; owners only)").roles("owner; the area's beheerder"), get(list))
    .route(
        Operation::new("PUT", "/api/v1/devices/{id}", "Rename a device").roles("owner of the device's venue").body(|| json!({"name": "Achterdeur"})),
        put(rename),
    )
    .route(Operation::new("POST", "/api/v1/devices/{id}/revoke", "Revoke a device: no further list").roles("owner of the device's venue; the area's beheerder"), post(revoke))
    .route(
        Operation::new("GET", "/api/v1/device/list", "Sync: 304, a signed delta from ?version=N, or the signed snapshot (application/octet-stream); a device names the list-signing key it trusts in x-cho-signing-key (base64url) and, if that key was retired, gets the list announcing its successor. With ?wait=S (whole seconds, 0 to 60, more is clipped; the answer says x-cho-wait-max: 60) a current device waits up to S seconds for a newer version instead of getting 304 at once").roles(DEVICE).long_wait(),
        get(sync),
    )
    .route(Operation::new("GET", "/api/v1/device/key", "The area's current identity key and epoch").roles(DEVICE), get(key))
    .route(
        Operation::new(
            "POST",
            "/api/v1/device/counts",
            "Anonymous door counts: the door's running totals of checks per hour (unix seconds, a multiple of 3600, UTC) and verdict (banned, possible_match, welcome, outdated, no_list); each (hour, verdict) is set, so a resend is harmless; hours more than 8 days old or more than 1 hour ahead, unknown verdicts and more than 960 rows are refused whole (422); 204. No tokens, identities or single checks: nothing else flows back from a door",
        )
        .roles(DEVICE)
        .no_content()
        .body(|| json!({"counts": [{"hour": 1_764_540_000, "verdict": "welcome", "checks": 41}, {"hour": 1_764_540_000, "verdict": "banned", "checks": 1}]})),
        post(counts),
    )
}

/// The device behind `Authorization: Device <credential>`.
struct DeviceAuth(Door);

impl FromRequestParts<App> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let credential = credentials(&parts.headers, "Device").ok_or(AppError::Unauthenticated)?;
        Ok(Self(devices::authenticate(app, credential).await?))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    name: String,
}

async fn create_code(
    State(app): State<App>,
    auth: Auth,
    Id(venue): Id,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<(StatusCode, axum::Json<EnrolmentCode>), ApiError> {
    let code = devices::create_code(&app, &auth.actor, venue, &b.name).await?;
    Ok((StatusCode::CREATED, axum::Json(code)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolBody {
    code: String,
}

/// What an enrolled phone receives, once; keys in base64url.
#[derive(Serialize)]
struct EnrolledAnswer {
    device_id: i64,
    credential: String,
    area_id: i64,
    key_epoch: i64,
    identity_key: String,
    signing_public_key: String,
}

async fn enrol(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<EnrolBody>,
) -> Result<axum::Json<EnrolledAnswer>, ApiError> {
    let e = devices::enrol(&app, client, &b.code).await?;
    Ok(axum::Json(EnrolledAnswer {
        device_id: e.device_id,
        area_id: e.area_id,
        key_epoch: e.key_epoch,
        identity_key: URL_SAFE_NO_PAD.encode(e.identity_key.as_slice()),
        signing_public_key: URL_SAFE_NO_PAD.encode(&e.signing_public_key),
        credential: e.credential,
    }))
}

async fn list(
    State(app): State<App>,
    auth: Auth,
    Id(area): Id,
) -> Result<axum::Json<Vec<DeviceView>>, ApiError> {
    Ok(axum::Json(devices::list(&app, &auth.actor, area).await?))
}

async fn rename(
    State(app): State<App>,
    auth: Auth,
    Id(id): Id,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<StatusCode, ApiError> {
    devices::rename(&app, &auth.actor, id, &b.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke(State(app): State<App>, auth: Auth, Id(id): Id) -> Result<StatusCode, ApiError> {
    devices::revoke(&app, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncQuery {
    version: Option<i64>,
    /// Whole seconds; parsed by [`wait_seconds`] for a precise error.
    wait: Option<String>,
}

/// `?wait=`: whole seconds from 0; more than the maximum is clipped to it
/// (a door asking for more is not wrong, the server just answers sooner).
fn wait_seconds(text: Option<&str>) -> Result<u64, ApiError> {
    let Some(text) = text else { return Ok(0) };
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!(
                "wait must be a whole number of seconds from 0 to {MAX_WAIT_SECONDS} (more is clipped to {MAX_WAIT_SECONDS})"
            ),
        ));
    }
    Ok(text
        .parse::<u64>()
        .unwrap_or(MAX_WAIT_SECONDS)
        .min(MAX_WAIT_SECONDS))
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The version in `If-None-Match`: `"vN"`, weak `W/"vN"` (a proxy may
/// weaken a strong tag; If-None-Match compares weakly), or the first such
/// tag of a list.
fn etag_version(header: &str) -> Option<i64> {
    header.split(',').find_map(|tag| {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag.strip_prefix("\"v")?
            .strip_suffix('"')?
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
    })
}

/// Every answer of the sync says how long a door may wait.
async fn sync(
    state: State<App>,
    device: DeviceAuth,
    headers: HeaderMap,
    query: ApiQuery<SyncQuery>,
) -> Response {
    let mut response = match sync_answer(state, device, headers, query).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    response
        .headers_mut()
        .insert("x-cho-wait-max", HeaderValue::from(MAX_WAIT_SECONDS));
    response
}

async fn sync_answer(
    State(app): State<App>,
    DeviceAuth(device): DeviceAuth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SyncQuery>,
) -> Result<Response, ApiError> {
    let wait = wait_seconds(q.wait.as_deref())?;
    // A device that sends the ETag of its version gets a 304 like one that
    // sends ?version=: lists are signed, so caches may hold them.
    let from_etag = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(etag_version);
    let have = q.version.or(from_etag).unwrap_or(0).max(0);
    // The list-signing key the device trusts (base64url), so one that
    // missed a key rotation is handed the announcement it needs.
    let signing_key = headers
        .get("x-cho-signing-key")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| URL_SAFE_NO_PAD.decode(v.trim()).ok())
        .filter(|k| k.len() == cho_core::list_format::PUBLIC_KEY_LEN);
    let answer = devices::sync_waiting(
        &app,
        device,
        have,
        signing_key.as_deref(),
        std::time::Duration::from_secs(wait),
    )
    .await?;
    Ok(match answer {
        // The same caching rule as the 200 it confirms: a cache refreshing
        // its stored list from this 304 must not be told to drop it.
        SyncAnswer::NotModified { version } => (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag(version)),
                (header::CACHE_CONTROL, "private, no-cache".to_owned()),
            ],
        )
            .into_response(),
        SyncAnswer::NothingPublished => ApiError::new(
            StatusCode::NOT_FOUND,
            "no_list",
            "no list has been published for this area yet",
        )
        .into_response(),
        SyncAnswer::Update {
            version,
            key_epoch,
            delta_from,
            bytes,
        } => {
            let kind = if delta_from.is_some() {
                "delta"
            } else {
                "snapshot"
            };
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::ETAG, etag(version))
                .header(header::CACHE_CONTROL, "private, no-cache")
                .header("x-cho-list-kind", kind)
                .header("x-cho-list-version", version.to_string())
                .header("x-cho-key-epoch", key_epoch.to_string())
                .body(Body::from(bytes))
                .map_err(|_| AppError::Internal("response"))?
        }
    })
}

#[derive(Serialize)]
struct KeyAnswer {
    area_id: i64,
    key_epoch: i64,
    /// base64url.
    identity_key: String,
}

async fn key(
    State(app): State<App>,
    DeviceAuth(device): DeviceAuth,
) -> Result<axum::Json<KeyAnswer>, ApiError> {
    let (epoch, key) = devices::current_key(&app, &device).await?;
    Ok(axum::Json(KeyAnswer {
        area_id: device.area_id(),
        key_epoch: epoch,
        identity_key: URL_SAFE_NO_PAD.encode(key.as_slice()),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountsBody {
    counts: Vec<CountRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountRow {
    hour: i64,
    verdict: String,
    checks: i64,
}

async fn counts(
    State(app): State<App>,
    DeviceAuth(device): DeviceAuth,
    ApiJson(b): ApiJson<CountsBody>,
) -> Result<StatusCode, ApiError> {
    let rows: Vec<(i64, &str, i64)> = b
        .counts
        .iter()
        .map(|c| (c.hour, c.verdict.as_str(), c.checks))
        .collect();
    door_counts::record(&app, &device, &rows).await?;
    Ok(StatusCode::NO_CONTENT)
}
