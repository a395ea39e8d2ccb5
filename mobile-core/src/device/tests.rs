//! The device protocol driven with canned answers: every path of
//! enrolment and sync, revocation, retries, kills between steps, and the
//! keystore choice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::identity::{Identity, IdentityKey};
use crate::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};

const NOW: i64 = 1_800_000_000;
const CREDENTIAL: &str = "s3cret-credential-do-not-show";
const SERVER: &str = "https://cho.example.nl";
const BAKKER: (&str, &str, &str) = ("Bakker", "Bob", "1990-01-01");

struct Deployment {
    signer: ListSigner,
    keys: Vec<(u32, [u8; 32])>,
    area_id: u64,
}

fn signer() -> ListSigner {
    let rng = ring::rand::SystemRandom::new();
    ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap()
}

impl Deployment {
    fn new() -> Self {
        Self {
            signer: signer(),
            keys: vec![(1, [7; 32]), (2, [8; 32])],
            area_id: 1,
        }
    }

    fn key(&self, epoch: u32) -> [u8; 32] {
        self.keys.iter().find(|(e, _)| *e == epoch).unwrap().1
    }

    fn header(&self, epoch: u32, version: u64) -> ListHeader {
        ListHeader {
            area_id: self.area_id,
            key_epoch: epoch,
            max_age_seconds: 86_400,
            version,
            issued_at: NOW - 10,
            key_check: IdentityKey::from_bytes(&self.key(epoch))
                .unwrap()
                .check_value(),
            next_signing_key: None,
        }
    }

    fn entries(&self, epoch: u32, banned: &[(&str, &str, &str)]) -> EntrySet {
        let key = IdentityKey::from_bytes(&self.key(epoch)).unwrap();
        EntrySet::from_entries(banned.iter().flat_map(|p| {
            Identity::from_manual(p.0, p.1, p.2)
                .unwrap()
                .ban_tokens(&key)
                .into_iter()
                .map(|(token, strength)| ListEntry {
                    token,
                    last_day: 30_000,
                    strength,
                })
        }))
    }

    fn snapshot(&self, epoch: u32, version: u64, banned: &[(&str, &str, &str)]) -> Vec<u8> {
        self.signer
            .snapshot(&self.header(epoch, version), &self.entries(epoch, banned))
            .unwrap()
    }

    fn enrol_answer(&self) -> HttpResponse {
        json_answer(
            200,
            serde_json::json!({
                "device_id": 12,
                "credential": CREDENTIAL,
                "area_id": self.area_id,
                "key_epoch": 1,
                "identity_key": URL_SAFE_NO_PAD.encode(self.key(1)),
                "signing_public_key": URL_SAFE_NO_PAD.encode(self.signer.public_key()),
            }),
        )
    }

    fn key_answer(&self, epoch: u32) -> HttpResponse {
        json_answer(
            200,
            serde_json::json!({
                "area_id": self.area_id,
                "key_epoch": epoch,
                "identity_key": URL_SAFE_NO_PAD.encode(self.key(epoch)),
            }),
        )
    }

    fn link(&self) -> String {
        format!(
            "cho-enrol:{SERVER}#code=ABCD-EF23-GH&key={}",
            fingerprint::fingerprint(&self.signer.public_key())
        )
    }
}

fn json_answer(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![HttpHeader {
            name: "Content-Type".to_owned(),
            value: "application/json".to_owned(),
        }],
        body: body.to_string().into_bytes(),
    }
}

fn error_answer(status: u16, code: &str) -> HttpResponse {
    json_answer(
        status,
        serde_json::json!({"error": {"code": code, "message": "x"}}),
    )
}

fn list_answer(kind: &str, epoch: u32, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![
            HttpHeader {
                name: "X-Cho-List-Kind".to_owned(),
                value: kind.to_owned(),
            },
            HttpHeader {
                name: "x-cho-key-epoch".to_owned(),
                value: epoch.to_string(),
            },
            HttpHeader {
                name: "x-cho-wait-max".to_owned(),
                value: "60".to_owned(),
            },
        ],
        body: bytes,
    }
}

fn not_modified() -> HttpResponse {
    HttpResponse {
        status: 304,
        headers: vec![HttpHeader {
            name: "x-cho-wait-max".to_owned(),
            value: "60".to_owned(),
        }],
        body: Vec::new(),
    }
}

/// A device whose jitter is fixed at `jitter`.
fn open_with(dir: &Path, jitter: f64) -> Arc<DoorDevice> {
    DoorDevice::open_with_jitter(dir, move || jitter).unwrap()
}

fn open(dir: &Path) -> Arc<DoorDevice> {
    open_with(dir, 0.5)
}

fn finished(step: DeviceStep) -> (DeviceOutcome, i64, Option<KeystoreItems>) {
    match step {
        DeviceStep::Finished {
            outcome,
            next_sync_at_unix,
            keystore,
        } => (outcome, next_sync_at_unix, keystore),
        DeviceStep::Send { request } => panic!("expected the end, got {request:?}"),
    }
}

fn send(step: DeviceStep) -> HttpRequest {
    match step {
        DeviceStep::Send { request } => request,
        DeviceStep::Finished { outcome, .. } => panic!("expected a request, got {outcome:?}"),
    }
}

fn header_of<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.value.as_str())
}

fn enrolled(dir: &Path, server: &Deployment, persist: bool) -> Arc<DoorDevice> {
    let device = open(dir);
    device.start_enrol_link(server.link(), persist).unwrap();
    let (outcome, _, _) = finished(device.handle_response(server.enrol_answer(), NOW).unwrap());
    assert!(matches!(
        outcome,
        DeviceOutcome::Enrolled { device_id: 12, .. }
    ));
    device
}

/// A sync that ends after one answer.
fn sync_once(device: &DoorDevice, answer: HttpResponse) -> DeviceOutcome {
    device.start_sync(NOW, 0).unwrap();
    finished(device.handle_response(answer, NOW).unwrap()).0
}

fn verdict(device: &DoorDevice, person: (&str, &str, &str)) -> crate::ffi::Verdict {
    device
        .checker()
        .check_manual(person.0.into(), person.1.into(), person.2.into(), NOW)
        .unwrap()
        .verdict
}

fn all_files(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    all
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn enrol_by_link_then_snapshot_304_and_delta() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = open(dir.path());
    assert_eq!(device.status(NOW).state, EnrolmentState::NotEnrolled);
    assert!(matches!(
        device
            .checker()
            .check_manual("A".into(), "B".into(), "2000-01-01".into(), NOW),
        Err(ChoError::NotEnrolled { .. })
    ));

    let request = device.start_enrol_link(server.link(), true).unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://cho.example.nl/api/v1/devices/enrol");
    assert_eq!(request.body, br#"{"code":"ABCD-EF23-GH"}"#);
    let (outcome, _, keystore) =
        finished(device.handle_response(server.enrol_answer(), NOW).unwrap());
    assert_eq!(
        outcome,
        DeviceOutcome::Enrolled {
            device_id: 12,
            area_id: 1,
            key_epoch: 1,
            server_url: SERVER.to_owned()
        }
    );
    assert!(keystore.is_none(), "persist: nothing for the keystore");
    let status = device.status(NOW);
    assert_eq!(status.state, EnrolmentState::Enrolled);
    assert_eq!(status.device_id, Some(12));
    assert!(!status.credential_needed);
    assert_eq!(
        status.signing_key_fingerprint,
        Some(fingerprint::short_fingerprint(&server.signer.public_key()))
    );
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::NoList);

    // Snapshot.
    let request = device.start_sync(NOW, 0).unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.url,
        "https://cho.example.nl/api/v1/device/list?version=0"
    );
    assert_eq!(
        header_of(&request, "authorization"),
        Some(format!("Device {CREDENTIAL}").as_str())
    );
    assert_eq!(
        header_of(&request, "x-cho-signing-key"),
        Some(URL_SAFE_NO_PAD.encode(server.signer.public_key()).as_str())
    );
    let (outcome, next, _) = finished(
        device
            .handle_response(list_answer("snapshot", 1, server.snapshot(1, 1, &[])), NOW)
            .unwrap(),
    );
    assert!(matches!(
        outcome,
        DeviceOutcome::Updated {
            list_version: 1,
            kind: ListKind::Snapshot,
            entries: 0,
            retried_as_snapshot: false,
            followed_signing_key: false,
            fetched_area_key: false,
            ..
        }
    ));
    assert_eq!(next, NOW);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::NotBanned);

    // 304.
    let request = device.start_sync(NOW, 0).unwrap();
    assert!(request.url.ends_with("?version=1"));
    let (outcome, _, _) = finished(device.handle_response(not_modified(), NOW).unwrap());
    assert_eq!(
        outcome,
        DeviceOutcome::UpToDate {
            list_version: Some(1)
        }
    );

    // Delta.
    let delta = server
        .signer
        .delta(
            &server.header(1, 2),
            1,
            &server.entries(1, &[]),
            &server.entries(1, &[BAKKER]),
        )
        .unwrap();
    let outcome = sync_once(&device, list_answer("delta", 1, delta));
    assert!(matches!(
        outcome,
        DeviceOutcome::Updated {
            list_version: 2,
            kind: ListKind::Delta,
            ..
        }
    ));
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);

    // The state survives a reopen (after the old one is gone).
    drop(device);
    let device = open(dir.path());
    assert_eq!(device.status(NOW).list.list_version, Some(2));
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    assert!(
        device
            .start_sync(NOW, 0)
            .unwrap()
            .url
            .ends_with("?version=2")
    );
}

#[test]
fn one_device_per_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _device = open(dir.path());
    assert!(matches!(
        DoorDevice::open(dir.path().display().to_string()),
        Err(ChoError::Storage { .. })
    ));
}

#[test]
fn a_typed_enrolment_takes_url_code_and_short_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = open(dir.path());
    let short = fingerprint::short_fingerprint(&server.signer.public_key());
    let request = device
        .start_enrol(
            "https://cho.example.nl/".into(),
            "abcd-ef23-gh".into(),
            short.to_lowercase(),
            true,
        )
        .unwrap();
    assert_eq!(request.url, "https://cho.example.nl/api/v1/devices/enrol");
    let (outcome, _, _) = finished(device.handle_response(server.enrol_answer(), NOW).unwrap());
    assert!(matches!(outcome, DeviceOutcome::Enrolled { .. }));
}

#[test]
fn a_key_that_does_not_match_the_fingerprint_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    assert!(matches!(
        sync_once(
            &device,
            list_answer("snapshot", 1, server.snapshot(1, 1, &[BAKKER]))
        ),
        DeviceOutcome::Updated { .. }
    ));
    let before = std::fs::read(dir.path().join(STATE_FILE)).unwrap();

    // Someone between the phone and the server answers with their key.
    let attacker = Deployment {
        signer: signer(),
        ..Deployment::new()
    };
    device.start_enrol_link(server.link(), true).unwrap();
    let err = device
        .handle_response(attacker.enrol_answer(), NOW)
        .unwrap_err();
    assert!(matches!(err, ChoError::SigningKeyMismatch { .. }), "{err}");
    assert!(!err.to_string().contains(CREDENTIAL));
    // Typed with the short fingerprint: the same.
    device
        .start_enrol(
            SERVER.into(),
            "ABCD-EF23-GH".into(),
            fingerprint::short_fingerprint(&server.signer.public_key()),
            true,
        )
        .unwrap();
    assert!(matches!(
        device.handle_response(attacker.enrol_answer(), NOW),
        Err(ChoError::SigningKeyMismatch { .. })
    ));
    assert_eq!(std::fs::read(dir.path().join(STATE_FILE)).unwrap(), before);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    assert_eq!(device.status(NOW).state, EnrolmentState::Enrolled);
}

#[test]
fn plain_http_is_refused_except_to_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = open(dir.path());
    let full = fingerprint::fingerprint(&server.signer.public_key());
    for url in ["http://cho.example.nl", "http://192.168.1.20:8080"] {
        assert!(matches!(
            device.start_enrol(url.into(), "ABCD".into(), full.clone(), true),
            Err(ChoError::InsecureServer { .. })
        ));
        assert!(matches!(
            device.start_enrol_link(format!("cho-enrol:{url}#code=ABCD&key={full}"), true),
            Err(ChoError::InsecureServer { .. })
        ));
    }
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost",
        "http://[::1]:3000",
    ] {
        let request = device
            .start_enrol(url.into(), "ABCD".into(), full.clone(), true)
            .unwrap();
        assert!(request.url.starts_with(url));
    }
}

#[test]
fn a_refused_code_leaves_a_working_enrolment_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[BAKKER])),
    );
    let before = std::fs::read(dir.path().join(STATE_FILE)).unwrap();

    let other = Deployment::new();
    device.start_enrol_link(other.link(), true).unwrap();
    let err = device
        .handle_response(error_answer(422, "invalid"), NOW)
        .unwrap_err();
    assert!(matches!(err, ChoError::CodeRefused { .. }), "{err}");
    // A server error during a new enrolment: retry later, the enrolment in
    // force and its retry state untouched.
    device.start_enrol_link(other.link(), true).unwrap();
    let (outcome, _, _) = finished(
        device
            .handle_response(error_answer(503, "down"), NOW)
            .unwrap(),
    );
    assert!(matches!(
        outcome,
        DeviceOutcome::RetryLater { failures: 1, .. }
    ));
    assert_eq!(std::fs::read(dir.path().join(STATE_FILE)).unwrap(), before);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);

    // The new code accepted: the old list and keys are gone.
    device.start_enrol_link(other.link(), true).unwrap();
    let (outcome, _, _) = finished(device.handle_response(other.enrol_answer(), NOW).unwrap());
    assert!(matches!(outcome, DeviceOutcome::Enrolled { .. }));
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::NoList);
    assert_eq!(
        device.status(NOW).signing_key_fingerprint,
        Some(fingerprint::short_fingerprint(&other.signer.public_key()))
    );
    assert!(matches!(
        sync_once(
            &device,
            list_answer("snapshot", 1, other.snapshot(1, 1, &[]))
        ),
        DeviceOutcome::Updated { .. }
    ));
}

#[test]
fn a_delta_that_does_not_fit_is_retried_once_as_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[])),
    );

    // A delta from version 2 to 3; the device holds 1.
    let gap = server
        .signer
        .delta(
            &server.header(1, 3),
            2,
            &server.entries(1, &[]),
            &server.entries(1, &[BAKKER]),
        )
        .unwrap();
    let request = device.start_sync(NOW, 0).unwrap();
    assert!(request.url.ends_with("?version=1"));
    let retry = send(
        device
            .handle_response(list_answer("delta", 1, gap.clone()), NOW)
            .unwrap(),
    );
    assert!(retry.url.ends_with("?version=0"), "{retry:?}");
    let (outcome, _, _) = finished(
        device
            .handle_response(
                list_answer("snapshot", 1, server.snapshot(1, 3, &[BAKKER])),
                NOW,
            )
            .unwrap(),
    );
    assert!(matches!(
        outcome,
        DeviceOutcome::Updated {
            list_version: 3,
            kind: ListKind::Snapshot,
            retried_as_snapshot: true,
            ..
        }
    ));
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);

    // Only once: a second refused delta in the same sync is an error, and
    // the list in force stays.
    let gap = server
        .signer
        .delta(
            &server.header(1, 5),
            4,
            &server.entries(1, &[BAKKER]),
            &server.entries(1, &[]),
        )
        .unwrap();
    device.start_sync(NOW, 0).unwrap();
    send(
        device
            .handle_response(list_answer("delta", 1, gap.clone()), NOW)
            .unwrap(),
    );
    assert!(matches!(
        device.handle_response(list_answer("delta", 1, gap), NOW),
        Err(ChoError::ListRejected { .. })
    ));
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
}

#[test]
fn a_new_key_epoch_fetches_the_area_key_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[])),
    );

    device.start_sync(NOW, 0).unwrap();
    let key_request = send(
        device
            .handle_response(
                list_answer("snapshot", 2, server.snapshot(2, 2, &[BAKKER])),
                NOW,
            )
            .unwrap(),
    );
    assert_eq!(key_request.url, "https://cho.example.nl/api/v1/device/key");
    assert!(header_of(&key_request, "authorization").is_some());
    let (outcome, _, keystore) =
        finished(device.handle_response(server.key_answer(2), NOW).unwrap());
    assert!(matches!(
        outcome,
        DeviceOutcome::Updated {
            list_version: 2,
            key_epoch: 2,
            fetched_area_key: true,
            ..
        }
    ));
    assert!(
        keystore.is_none(),
        "persist: the key is in the data directory"
    );
    assert_eq!(device.status(NOW).list.key_epochs, vec![2]);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);

    // A key for another area is refused; the list in force stays.
    let other_area = Deployment {
        area_id: 9,
        ..Deployment::new()
    };
    let mut server3 = Deployment::new();
    server3.signer = server.signer;
    server3.keys.push((3, [9; 32]));
    device.start_sync(NOW, 0).unwrap();
    send(
        device
            .handle_response(list_answer("snapshot", 3, server3.snapshot(3, 3, &[])), NOW)
            .unwrap(),
    );
    assert!(matches!(
        device.handle_response(other_area.key_answer(1), NOW),
        Err(ChoError::BadAnswer { .. })
    ));
    assert_eq!(device.status(NOW).list.list_version, Some(2));
}

#[test]
fn a_rotated_signing_key_is_followed_and_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[])),
    );

    let next = signer();
    let mut header = server.header(1, 2);
    header.next_signing_key = Some(next.public_key());
    let announcement = server
        .signer
        .snapshot(&header, &server.entries(1, &[BAKKER]))
        .unwrap();
    device.start_sync(NOW, 0).unwrap();
    let follow_up = send(
        device
            .handle_response(list_answer("snapshot", 1, announcement), NOW)
            .unwrap(),
    );
    assert!(follow_up.url.ends_with("?version=2"), "{follow_up:?}");
    assert_eq!(
        header_of(&follow_up, "x-cho-signing-key"),
        Some(URL_SAFE_NO_PAD.encode(next.public_key()).as_str())
    );
    let (outcome, _, _) = finished(device.handle_response(not_modified(), NOW).unwrap());
    assert!(matches!(
        outcome,
        DeviceOutcome::Updated {
            list_version: 2,
            followed_signing_key: true,
            ..
        }
    ));
    let pinned = Some(fingerprint::short_fingerprint(&next.public_key()));
    assert_eq!(device.status(NOW).signing_key_fingerprint, pinned);

    // Pinned in the state: a reopen trusts the new key only.
    drop(device);
    let device = open(dir.path());
    assert_eq!(device.status(NOW).signing_key_fingerprint, pinned);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    let by_new = Deployment {
        signer: next,
        ..Deployment::new()
    };
    assert!(matches!(
        sync_once(
            &device,
            list_answer("snapshot", 1, by_new.snapshot(1, 3, &[]))
        ),
        DeviceOutcome::Updated {
            list_version: 3,
            ..
        }
    ));
    device.start_sync(NOW, 0).unwrap();
    assert!(matches!(
        device.handle_response(list_answer("snapshot", 1, server.snapshot(1, 4, &[])), NOW),
        Err(ChoError::ListRejected { .. })
    ));
}

#[test]
fn nothing_published_yet() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    assert_eq!(
        sync_once(&device, error_answer(404, "no_list")),
        DeviceOutcome::NothingPublished
    );
    // A 404 without that code is not a CHO server's answer.
    device.start_sync(NOW, 0).unwrap();
    assert!(matches!(
        device.handle_response(error_answer(404, "not_found"), NOW),
        Err(ChoError::ServerRefused { status: 404, .. })
    ));
}

#[test]
fn a_revoked_device_wipes_its_keys_list_and_credential() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[BAKKER])),
    );
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    assert!(holds(&all_files(dir.path()), CREDENTIAL.as_bytes()));

    assert_eq!(
        sync_once(&device, error_answer(401, "device_revoked")),
        DeviceOutcome::Revoked
    );
    let status = device.status(NOW);
    assert_eq!(status.state, EnrolmentState::Revoked);
    assert!(!status.list.has_list && status.list.key_epochs.is_empty());
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::NoList);
    assert!(!holds(&all_files(dir.path()), CREDENTIAL.as_bytes()));
    assert!(!dir.path().join("list.bin").exists());
    assert!(!dir.path().join("area-keys.bin").exists());
    let err = device.start_sync(NOW, 0).unwrap_err();
    assert!(matches!(err, ChoError::DeviceRevoked { .. }), "{err}");

    // And after a restart; a new code enrols it again.
    drop(device);
    let device = open(dir.path());
    assert_eq!(device.status(NOW).state, EnrolmentState::Revoked);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::NoList);
    device.start_enrol_link(server.link(), true).unwrap();
    finished(device.handle_response(server.enrol_answer(), NOW).unwrap());
    assert_eq!(device.status(NOW).state, EnrolmentState::Enrolled);
}

#[test]
fn revocation_ends_a_key_fetch_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    device.start_sync(NOW, 0).unwrap();
    send(
        device
            .handle_response(list_answer("snapshot", 2, server.snapshot(2, 2, &[])), NOW)
            .unwrap(),
    );
    let (outcome, _, _) = finished(
        device
            .handle_response(error_answer(401, "device_revoked"), NOW)
            .unwrap(),
    );
    assert_eq!(outcome, DeviceOutcome::Revoked);
}

#[test]
fn an_unknown_credential_is_refused_but_not_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[BAKKER])),
    );
    for answer in [
        error_answer(401, "unauthenticated"),
        HttpResponse {
            status: 401,
            headers: vec![],
            body: b"<html>proxy</html>".to_vec(),
        },
    ] {
        device.start_sync(NOW, 0).unwrap();
        let err = device.handle_response(answer, NOW).unwrap_err();
        assert!(matches!(err, ChoError::Unauthorized { .. }), "{err}");
        assert!(!err.to_string().contains(CREDENTIAL));
    }
    assert_eq!(device.status(NOW).state, EnrolmentState::Enrolled);
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
}

#[test]
fn transient_failures_back_off_exponentially_with_jitter() {
    // The bounds of the formula.
    for failures in 1..=12 {
        let delay = (BACKOFF_BASE_SECONDS << (failures - 1)).min(BACKOFF_MAX_SECONDS);
        assert_eq!(backoff_seconds(failures, 0.0), delay / 2, "{failures}");
        assert_eq!(
            backoff_seconds(failures, 0.999_999),
            delay - 1,
            "{failures}"
        );
        for jitter in [0.1, 0.5, 0.9] {
            let d = backoff_seconds(failures, jitter);
            assert!((delay / 2..=delay).contains(&d), "{failures} {jitter} {d}");
        }
    }
    assert_eq!(
        backoff_seconds(u32::MAX, f64::NAN),
        BACKOFF_MAX_SECONDS / 2 + BACKOFF_MAX_SECONDS / 4
    );

    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    drop(enrolled(dir.path(), &server, true));
    // Jitter from a sequence: 0, then almost 1, then 0.5, ...
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    let device = DoorDevice::open_with_jitter(dir.path(), move || {
        [0.0, 0.999_999, 0.5][(counter.fetch_add(1, Ordering::SeqCst) % 3) as usize]
    })
    .unwrap();

    // Network error: 1st failure, jitter 0 -> 2 s (delay 5).
    device.start_sync(NOW, 0).unwrap();
    let (outcome, next, _) = finished(device.transport_failed(NOW).unwrap());
    assert_eq!(
        outcome,
        DeviceOutcome::RetryLater {
            retry_at_unix: NOW + 2,
            failures: 1,
            reason: "the server could not be reached".to_owned()
        }
    );
    assert_eq!(next, NOW + 2);
    // 503: 2nd, jitter ~1 -> 9 s (delay 10).
    device.start_sync(NOW, 0).unwrap();
    let (outcome, _, _) = finished(
        device
            .handle_response(error_answer(503, "down"), NOW)
            .unwrap(),
    );
    assert!(
        matches!(outcome, DeviceOutcome::RetryLater { retry_at_unix, failures: 2, .. } if retry_at_unix == NOW + 9)
    );
    // 429 with Retry-After 120: 3rd; at least 120 s.
    let mut slow_down = error_answer(429, "too_many_requests");
    slow_down.headers.push(HttpHeader {
        name: "Retry-After".to_owned(),
        value: "120".to_owned(),
    });
    device.start_sync(NOW, 0).unwrap();
    let (outcome, _, _) = finished(device.handle_response(slow_down, NOW).unwrap());
    assert!(
        matches!(outcome, DeviceOutcome::RetryLater { retry_at_unix, failures: 3, .. } if retry_at_unix == NOW + 120)
    );
    // 500 on the key fetch counts too.
    device.start_sync(NOW, 0).unwrap();
    send(
        device
            .handle_response(list_answer("snapshot", 2, server.snapshot(2, 1, &[])), NOW)
            .unwrap(),
    );
    let (outcome, _, _) = finished(
        device
            .handle_response(error_answer(500, "internal"), NOW)
            .unwrap(),
    );
    assert!(matches!(
        outcome,
        DeviceOutcome::RetryLater { failures: 4, .. }
    ));

    // Persisted across a restart.
    let status = device.status(NOW);
    drop(device);
    let device = open(dir.path());
    assert_eq!(device.status(NOW).failures, 4);
    assert_eq!(
        device.status(NOW).next_attempt_at_unix,
        status.next_attempt_at_unix
    );
    // Reset by the next answer.
    assert!(matches!(
        sync_once(&device, not_modified()),
        DeviceOutcome::UpToDate { .. }
    ));
    assert_eq!(device.status(NOW).failures, 0);
    assert_eq!(device.status(NOW).next_attempt_at_unix, None);
}

#[test]
fn the_waiting_sync_asks_to_wait_and_falls_back_to_polling() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    let request = device.start_sync(NOW, 60).unwrap();
    assert!(request.url.ends_with("?version=0&wait=60"), "{request:?}");
    assert_eq!(request.timeout_seconds, 90);
    assert!(
        device
            .start_sync(NOW, 600)
            .unwrap()
            .url
            .ends_with("&wait=60")
    );
    assert!(
        device
            .start_sync(NOW, 0)
            .unwrap()
            .url
            .ends_with("?version=0")
    );

    // A server that holds syncs: follow again at once.
    device.start_sync(NOW, 60).unwrap();
    let (_, next, _) = finished(
        device
            .handle_response(list_answer("snapshot", 1, server.snapshot(1, 1, &[])), NOW)
            .unwrap(),
    );
    assert_eq!(next, NOW);
    device.start_sync(NOW, 60).unwrap();
    let (outcome, next, _) = finished(device.handle_response(not_modified(), NOW + 60).unwrap());
    assert_eq!(
        outcome,
        DeviceOutcome::UpToDate {
            list_version: Some(1)
        }
    );
    assert_eq!(next, NOW + 60);

    // A server from before the waiting sync refuses `wait`: asked again
    // without it, then polled.
    device.start_sync(NOW, 60).unwrap();
    let again = send(
        device
            .handle_response(error_answer(400, "invalid_query"), NOW)
            .unwrap(),
    );
    assert!(again.url.ends_with("?version=1"), "{again:?}");
    let plain_304 = HttpResponse {
        status: 304,
        headers: vec![],
        body: vec![],
    };
    let (_, next, _) = finished(device.handle_response(plain_304.clone(), NOW).unwrap());
    assert_eq!(next, NOW + POLL_SECONDS_WITHOUT_WAIT);
    assert!(
        device
            .start_sync(NOW + 10, 60)
            .unwrap()
            .url
            .ends_with("?version=1")
    );
    // An hour later it is asked to wait again.
    assert!(
        device
            .start_sync(NOW + 3600, 60)
            .unwrap()
            .url
            .ends_with("&wait=60")
    );
    // A server that accepts `wait` but does not say it holds: polled.
    let (_, next, _) = finished(device.handle_response(plain_304, NOW + 3600).unwrap());
    assert_eq!(next, NOW + 3600 + POLL_SECONDS_WITHOUT_WAIT);
}

#[test]
fn a_kill_between_steps_leaves_the_old_state_or_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[])),
    );

    // Killed with a request in flight (here: before the key answer): the
    // old list stays, and the next sync starts afresh.
    device.start_sync(NOW, 0).unwrap();
    send(
        device
            .handle_response(
                list_answer("snapshot", 2, server.snapshot(2, 2, &[BAKKER])),
                NOW,
            )
            .unwrap(),
    );
    drop(device);
    let device = open(dir.path());
    assert_eq!(device.status(NOW).list.list_version, Some(1));
    assert!(matches!(
        device.handle_response(server.key_answer(2), NOW),
        Err(ChoError::InvalidInput { .. })
    ));
    assert!(
        device
            .start_sync(NOW, 0)
            .unwrap()
            .url
            .ends_with("?version=1")
    );
    drop(device);

    // Killed after a new enrolment's state was written, before the store
    // was set up for it: the next open finishes the setup.
    let other = Deployment::new();
    let state = DeviceState {
        phase: Phase::Enrolled,
        persist: true,
        setup_pending: true,
        device_id: 99,
        area_id: other.area_id,
        key_epoch: 1,
        signing_key: other.signer.public_key(),
        failures: 0,
        next_attempt_at: None,
        server_url: SERVER.to_owned(),
        credential: Some(Zeroizing::new("new-credential".to_owned())),
        pending_key: Some((1, Zeroizing::new(other.key(1)))),
    };
    state.save(dir.path()).unwrap();
    let device = open(dir.path());
    let status = device.status(NOW);
    assert_eq!(status.device_id, Some(99));
    assert!(!status.list.has_list, "the old deployment's list is gone");
    assert_eq!(status.list.key_epochs, vec![1]);
    assert!(matches!(
        sync_once(
            &device,
            list_answer("snapshot", 1, other.snapshot(1, 1, &[BAKKER]))
        ),
        DeviceOutcome::Updated { .. }
    ));
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    drop(device);

    // Killed after the revoked state was written, before the wipe.
    let mut revoked = DeviceState::load(dir.path()).unwrap().unwrap();
    assert!(!revoked.setup_pending && revoked.pending_key.is_none());
    revoked.phase = Phase::Revoked;
    revoked.credential = None;
    revoked.save(dir.path()).unwrap();
    assert!(dir.path().join("list.bin").exists());
    let device = open(dir.path());
    assert_eq!(device.status(NOW).state, EnrolmentState::Revoked);
    assert!(!dir.path().join("list.bin").exists());
    assert!(!dir.path().join("area-keys.bin").exists());
}

#[test]
fn every_write_of_the_state_is_whole() {
    // Each write replaces device.bin through a renamed temporary file: at
    // every moment the file decodes, as the old state or the new one.
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    let mut seen = Vec::new();
    let mut record = || {
        let bytes = std::fs::read(dir.path().join(STATE_FILE)).unwrap();
        assert!(DeviceState::decode(&bytes).is_ok());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        seen.push(bytes);
    };
    record();
    device.start_sync(NOW, 0).unwrap();
    finished(device.transport_failed(NOW).unwrap());
    record();
    sync_once(&device, not_modified());
    record();
    sync_once(&device, error_answer(401, "device_revoked"));
    record();
    assert_eq!(seen.len(), 4);
    assert_ne!(seen[0], seen[1]);
}

#[test]
fn without_persist_the_credential_and_keys_stay_off_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = open(dir.path());
    device.start_enrol_link(server.link(), false).unwrap();
    let (_, _, keystore) = finished(device.handle_response(server.enrol_answer(), NOW).unwrap());
    let keystore = keystore.expect("the keystore items");
    assert_eq!(keystore.credential.as_deref(), Some(CREDENTIAL));
    assert!(!format!("{keystore:?}").contains(CREDENTIAL));
    let area_key = keystore.area_key.expect("the area key");
    assert_eq!(area_key.identity_key, server.key(1));
    assert!(!holds(&all_files(dir.path()), CREDENTIAL.as_bytes()));
    assert!(!holds(&all_files(dir.path()), &server.key(1)));
    // Works in this session.
    sync_once(
        &device,
        list_answer("snapshot", 1, server.snapshot(1, 1, &[BAKKER])),
    );
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    // A new epoch: its key goes to the keystore, not the disk.
    device.start_sync(NOW, 0).unwrap();
    send(
        device
            .handle_response(
                list_answer("snapshot", 2, server.snapshot(2, 2, &[BAKKER])),
                NOW,
            )
            .unwrap(),
    );
    let (_, _, keystore) = finished(device.handle_response(server.key_answer(2), NOW).unwrap());
    let new_key = keystore.and_then(|k| k.area_key).expect("the new key");
    assert_eq!(new_key.key_epoch, 2);
    assert!(!holds(&all_files(dir.path()), &server.key(2)));
    drop(device);

    // After a restart the app hands both back.
    let device = open(dir.path());
    let status = device.status(NOW);
    assert!(status.credential_needed && !status.persist);
    assert!(matches!(
        device.start_sync(NOW, 0),
        Err(ChoError::CredentialMissing { .. })
    ));
    assert!(matches!(
        device
            .checker()
            .check_manual(BAKKER.0.into(), BAKKER.1.into(), BAKKER.2.into(), NOW),
        Err(ChoError::AreaKeyMissing { .. })
    ));
    device.set_credential(CREDENTIAL.to_owned()).unwrap();
    device
        .checker()
        .set_area_key(1, 2, new_key.identity_key, false)
        .unwrap();
    assert_eq!(verdict(&device, BAKKER), crate::ffi::Verdict::Banned);
    let request = device.start_sync(NOW, 0).unwrap();
    assert_eq!(
        header_of(&request, "authorization"),
        Some(format!("Device {CREDENTIAL}").as_str())
    );
    assert!(!holds(&all_files(dir.path()), CREDENTIAL.as_bytes()));
}

#[test]
fn no_credential_or_personal_data_in_errors_outcomes_or_debug() {
    let dir = tempfile::tempdir().unwrap();
    let server = Deployment::new();
    let device = enrolled(dir.path(), &server, true);
    let mut texts = Vec::new();
    let request = device.start_sync(NOW, 0).unwrap();
    texts.push(format!("{request:?}"));
    for answer in [
        error_answer(401, "unauthenticated"),
        error_answer(404, "nope"),
        error_answer(418, "teapot"),
        list_answer("snapshot", 1, b"garbage".to_vec()),
        error_answer(503, "down"),
    ] {
        device.start_sync(NOW, 0).unwrap();
        match device.handle_response(answer, NOW) {
            Ok(step) => texts.push(format!("{step:?}")),
            Err(e) => texts.push(format!("{e} {e:?}")),
        }
    }
    device.start_enrol_link(server.link(), true).unwrap();
    let mut echo = server.enrol_answer();
    echo.body = format!(r#"{{"credential":"{CREDENTIAL}","surname":"Bakker"}}"#).into_bytes();
    let e = device.handle_response(echo, NOW).unwrap_err();
    texts.push(format!("{e} {e:?}"));
    texts.push(format!("{:?}", device.status(NOW)));
    for text in texts {
        assert!(!text.contains(CREDENTIAL), "{text}");
        assert!(!text.to_lowercase().contains("bakker"), "{text}");
    }
}
