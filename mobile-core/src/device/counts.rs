//! The door's anonymous counts on the device (issue 10, contract 5): the
//! checker counts each verdict into the tally (`crate::counts::Tally`, in
//! the data directory), and the device sends what the server has not
//! acknowledged in an exchange of its own, beside the sync:
//!
//! ```text
//! if let Some(request) = device.start_counts(now)? {
//!     match http(request) {
//!         Ok(response) => device.handle_counts_response(response, now)?,
//!         Err(_) => {} // nothing acknowledged: the counts go next time
//!     }
//! }
//! ```
//!
//! Sending is the venue's choice: a door that never calls `start_counts`
//! sends nothing. What is sent is running totals per hour and verdict:
//! no token, identity, document data or single check.

use super::{
    ChoError, DoorDevice, HttpHeader, HttpRequest, HttpResponse, JSON_LIMIT_BYTES,
    REQUEST_TIMEOUT_SECONDS, error_code, lock, storage,
};

/// How a counts report ended.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CountsOutcome {
    /// 204: the server holds these counts; they are not sent again (unless
    /// more checks are counted in their hours).
    Sent { rows: u32 },
    /// 422: the server will never take them (a door clock far off); they
    /// are given up, so the door does not send them forever.
    Dropped { rows: u32, reason: String },
    /// The server revoked this device: wiped, like a sync's `Revoked`.
    Revoked,
    /// Another answer (5xx, 429, ...): nothing acknowledged; send later.
    RetryLater { reason: String },
}

impl DoorDevice {
    /// Forgets the tally and any report in flight (a new enrolment or a
    /// revocation: counts belong to the credential they were made under).
    pub(super) fn forget_counts(&self) -> Result<(), ChoError> {
        *lock(&self.pending_counts) = None;
        lock(&self.tally).clear().map_err(storage)
    }
}

#[uniffi::export]
impl DoorDevice {
    /// The counts the server has not acknowledged, as a request to send
    /// (`POST {server}/api/v1/device/counts`); `None` when there is nothing
    /// to send. Hand the answer to `handle_counts_response`; without an
    /// answer, call this again later.
    pub fn start_counts(&self, now_unix: i64) -> Result<Option<HttpRequest>, ChoError> {
        let inner = lock(&self.inner);
        let state = inner.enrolled()?;
        let Some(body) = lock(&self.tally).pending(now_unix) else {
            *lock(&self.pending_counts) = None;
            return Ok(None);
        };
        let mut headers = inner.device_headers()?;
        headers.push(HttpHeader {
            name: "content-type".to_owned(),
            value: "application/json".to_owned(),
        });
        headers.push(HttpHeader {
            name: "accept".to_owned(),
            value: "application/json".to_owned(),
        });
        let request = HttpRequest {
            method: "POST".to_owned(),
            url: format!("{}/api/v1/device/counts", state.server_url),
            headers,
            body: body.json.into_bytes(),
            timeout_seconds: REQUEST_TIMEOUT_SECONDS,
            max_response_bytes: JSON_LIMIT_BYTES,
        };
        *lock(&self.pending_counts) = Some(body.rows);
        Ok(Some(request))
    }

    /// Digests the answer to the last `start_counts` request.
    pub fn handle_counts_response(
        &self,
        response: HttpResponse,
        now_unix: i64,
    ) -> Result<CountsOutcome, ChoError> {
        let rows = lock(&self.pending_counts)
            .take()
            .ok_or_else(|| ChoError::InvalidInput {
                reason: "no counts report is waiting for an answer".to_owned(),
            })?;
        let sent = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        match response.status {
            200 | 204 => {
                lock(&self.tally).acknowledge(&rows).map_err(storage)?;
                Ok(CountsOutcome::Sent { rows: sent })
            }
            422 => {
                lock(&self.tally).acknowledge(&rows).map_err(storage)?;
                Ok(CountsOutcome::Dropped {
                    rows: sent,
                    reason: "the server refused these counts (is the device clock right?)"
                        .to_owned(),
                })
            }
            401 if error_code(&response).as_deref() == Some("device_revoked") => {
                {
                    let mut inner = lock(&self.inner);
                    let mut door = lock(&self.door);
                    inner.revoke(&mut door, now_unix)?;
                }
                self.forget_counts()?;
                Ok(CountsOutcome::Revoked)
            }
            401 => Err(ChoError::Unauthorized {
                reason:
                    "the server does not know this device's credential: enrol again with a new code"
                        .to_owned(),
            }),
            status => Ok(CountsOutcome::RetryLater {
                reason: format!("the server did not take the counts (HTTP {status})"),
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::device::{DeviceOutcome, DeviceStep};
    use crate::ffi::Verdict;
    use crate::fingerprint;
    use crate::list_format::ListSigner;

    const NOW: i64 = 1_800_000_000; // 2027-01-15 08:00 UTC, an hour's start
    const CREDENTIAL: &str = "s3cret-credential-do-not-show";
    const SERVER: &str = "https://cho.example.nl";

    fn answer(status: u16, body: serde_json::Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![HttpHeader {
                name: "content-type".to_owned(),
                value: "application/json".to_owned(),
            }],
            body: body.to_string().into_bytes(),
        }
    }

    fn no_content() -> HttpResponse {
        HttpResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A device enrolled by link against a canned answer.
    fn enrolled(dir: &std::path::Path) -> Arc<DoorDevice> {
        let rng = ring::rand::SystemRandom::new();
        let signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
        let device = DoorDevice::open_with_jitter(dir, || 0.5).unwrap();
        let link = format!(
            "cho-enrol:{SERVER}#code=ABCD-EF23-GH&key={}",
            fingerprint::fingerprint(&signer.public_key())
        );
        device.start_enrol_link(link, true).unwrap();
        let step = device
            .handle_response(
                answer(
                    200,
                    serde_json::json!({
                        "device_id": 12, "credential": CREDENTIAL, "area_id": 1, "key_epoch": 1,
                        "identity_key": URL_SAFE_NO_PAD.encode([7u8; 32]),
                        "signing_public_key": URL_SAFE_NO_PAD.encode(signer.public_key()),
                    }),
                ),
                NOW,
            )
            .unwrap();
        assert!(matches!(
            step,
            DeviceStep::Finished {
                outcome: DeviceOutcome::Enrolled { .. },
                ..
            }
        ));
        device
    }

    fn check(device: &DoorDevice) -> Verdict {
        device
            .checker()
            .check_manual("Bakker".into(), "Bob".into(), "1990-01-01".into(), NOW + 60)
            .unwrap()
            .verdict
    }

    #[test]
    fn every_check_is_counted_and_the_report_is_acknowledged_after_a_204() {
        let dir = tempfile::tempdir().unwrap();
        let device = enrolled(dir.path());
        assert_eq!(device.start_counts(NOW).unwrap(), None, "nothing yet");
        // No list yet: the door says so, and counts it.
        assert_eq!(check(&device), Verdict::NoList);
        assert_eq!(check(&device), Verdict::NoList);
        let request = device.start_counts(NOW + 120).unwrap().unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, format!("{SERVER}/api/v1/device/counts"));
        assert!(
            request
                .headers
                .iter()
                .any(|h| h.name == "authorization" && h.value == format!("Device {CREDENTIAL}"))
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"counts": [{"hour": NOW, "verdict": "no_list", "checks": 2}]})
        );
        // Only numbers: not the name, not the birth date.
        let text = String::from_utf8(request.body.clone()).unwrap();
        assert!(!text.contains("Bakker") && !text.contains("1990"));
        assert_eq!(
            device
                .handle_counts_response(no_content(), NOW + 121)
                .unwrap(),
            CountsOutcome::Sent { rows: 1 }
        );
        assert_eq!(device.start_counts(NOW + 122).unwrap(), None);
        // The tally survives a restart, acknowledgements included.
        drop(device);
        let device = DoorDevice::open_with_jitter(dir.path(), || 0.5).unwrap();
        assert_eq!(device.start_counts(NOW + 123).unwrap(), None);
        check(&device);
        assert!(device.start_counts(NOW + 124).unwrap().is_some());
    }

    #[test]
    fn a_refused_report_is_given_up_and_a_failed_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let device = enrolled(dir.path());
        check(&device);
        device.start_counts(NOW).unwrap().unwrap();
        assert!(matches!(
            device
                .handle_counts_response(
                    answer(
                        503,
                        serde_json::json!({"error": {"code": "busy", "message": "x"}})
                    ),
                    NOW
                )
                .unwrap(),
            CountsOutcome::RetryLater { .. }
        ));
        // Still pending after a failure, and after no answer at all.
        device.start_counts(NOW).unwrap().unwrap();
        let request = device.start_counts(NOW).unwrap().unwrap();
        assert!(!request.body.is_empty());
        assert!(matches!(
            device
                .handle_counts_response(
                    answer(
                        422,
                        serde_json::json!({"error": {"code": "invalid", "message": "x"}})
                    ),
                    NOW
                )
                .unwrap(),
            CountsOutcome::Dropped { rows: 1, .. }
        ));
        assert_eq!(device.start_counts(NOW).unwrap(), None);
        // An unknown credential is refused and wipes nothing.
        check(&device);
        device.start_counts(NOW).unwrap().unwrap();
        let err = device
            .handle_counts_response(
                answer(
                    401,
                    serde_json::json!({"error": {"code": "unauthenticated", "message": "x"}}),
                ),
                NOW,
            )
            .unwrap_err();
        assert!(matches!(err, ChoError::Unauthorized { .. }), "{err}");
        assert!(!err.to_string().contains(CREDENTIAL));
        assert!(device.start_counts(NOW).unwrap().is_some());
    }

    #[test]
    fn device_revoked_on_the_counts_wipes_the_device_and_its_tally() {
        let dir = tempfile::tempdir().unwrap();
        let device = enrolled(dir.path());
        check(&device);
        device.start_counts(NOW).unwrap().unwrap();
        assert_eq!(
            device
                .handle_counts_response(
                    answer(
                        401,
                        serde_json::json!({"error": {"code": "device_revoked", "message": "x"}})
                    ),
                    NOW
                )
                .unwrap(),
            CountsOutcome::Revoked
        );
        assert_eq!(
            device.status(NOW).state,
            crate::device::EnrolmentState::Revoked
        );
        assert!(matches!(
            device.start_counts(NOW),
            Err(ChoError::DeviceRevoked { .. })
        ));
        // The tally went with it: nothing of the old credential is sent
        // after a new enrolment.
        drop(device);
        let device = enrolled(dir.path());
        assert_eq!(device.start_counts(NOW).unwrap(), None);
    }

    #[test]
    fn nothing_waits_for_an_answer_before_a_report() {
        let dir = tempfile::tempdir().unwrap();
        let device = DoorDevice::open_with_jitter(dir.path(), || 0.5).unwrap();
        assert!(matches!(
            device.start_counts(NOW),
            Err(ChoError::NotEnrolled { .. })
        ));
        assert!(matches!(
            device.handle_counts_response(no_content(), NOW),
            Err(ChoError::InvalidInput { .. })
        ));
    }
}
