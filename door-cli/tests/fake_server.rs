//! Answers a real server does not give on its own, from a small fake one on
//! 127.0.0.1: a delta that does not follow the door's version (the door
//! refuses it and `sync` retries once with a full snapshot), and a 503.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::dates;
use cho_core::identity::{Identity, IdentityKey};
use cho_core::list_format::{EntrySet, ListEntry, ListHeader, ListSigner};
use common::DoorCli;

const BAKKER: (&str, &str, &str) = ("Bakker", "Bob", "1990-01-01");

struct Lists {
    signer: ListSigner,
    key: [u8; 32],
    v1: Vec<u8>,
    v3: Vec<u8>,
    /// From version 2 to 3: the door holds version 1.
    gap_delta: Vec<u8>,
}

impl Lists {
    /// The enrolment answer of this fake deployment.
    fn enrolment(&self) -> Vec<u8> {
        serde_json::json!({
            "device_id": 1,
            "credential": "fake-credential",
            "area_id": 1,
            "key_epoch": 1,
            "identity_key": URL_SAFE_NO_PAD.encode(self.key),
            "signing_public_key": URL_SAFE_NO_PAD.encode(self.signer.public_key()),
        })
        .to_string()
        .into_bytes()
    }
}

fn lists() -> Lists {
    let rng = ring::rand::SystemRandom::new();
    let signer = ListSigner::from_pkcs8(&ListSigner::generate_pkcs8(&rng).unwrap()).unwrap();
    let key = [7u8; 32];
    let identity_key = IdentityKey::from_bytes(&key).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let last_day =
        dates::day_number(dates::door_date(now).unwrap() + time::Duration::days(100)).unwrap();
    let header = |version| ListHeader {
        area_id: 1,
        key_epoch: 1,
        max_age_seconds: 86_400,
        version,
        issued_at: now,
        key_check: identity_key.check_value(),
        next_signing_key: None,
    };
    let empty = EntrySet::from_entries([]);
    let bakker = EntrySet::from_entries(
        Identity::from_manual(BAKKER.0, BAKKER.1, BAKKER.2)
            .unwrap()
            .ban_tokens(&identity_key)
            .into_iter()
            .map(|(token, strength)| ListEntry {
                token,
                last_day,
                strength,
            }),
    );
    Lists {
        v1: signer.snapshot(&header(1), &empty).unwrap(),
        v3: signer.snapshot(&header(3), &bakker).unwrap(),
        gap_delta: signer.delta(&header(3), 2, &empty, &bakker).unwrap(),
        signer,
        key,
    }
}

/// A one-request-per-connection HTTP/1.1 server on 127.0.0.1: `answer`
/// maps the request line to (status, extra headers, body). Returns its URL
/// and the request lines it saw.
fn serve(
    answer: impl Fn(&str) -> (u16, Vec<(&'static str, String)>, Vec<u8>) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let request_line = request_line.trim().to_owned();
            let (status, headers, body) = answer(&request_line);
            log.lock().unwrap().push(request_line);
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (url, seen)
}

#[test]
fn a_delta_that_does_not_follow_is_retried_as_a_snapshot() {
    let lists = lists();
    let enrolment = lists.enrolment();
    // 1: version 1 is out; 2: version 3 is out; 3: the server is down.
    let stage = Arc::new(AtomicU64::new(1));
    let at = stage.clone();
    let (url, seen) = serve(move |request| {
        let list = |kind: &str, bytes: &Vec<u8>| {
            let headers = vec![
                ("x-cho-list-kind", kind.to_owned()),
                ("x-cho-key-epoch", "1".to_owned()),
            ];
            (200, headers, bytes.clone())
        };
        match (at.load(Ordering::SeqCst), request) {
            (_, r) if r.starts_with("POST /api/v1/devices/enrol ") => {
                (200, vec![], enrolment.clone())
            }
            (3, _) => (
                503,
                vec![],
                br#"{"error":{"code":"unavailable","message":"down"}}"#.to_vec(),
            ),
            (1, r) if r.contains("version=0 ") => list("snapshot", &lists.v1),
            (1, r) if r.contains("version=1 ") => (304, vec![], Vec::new()),
            (2, r) if r.contains("version=0 ") => list("snapshot", &lists.v3),
            (2, r) if r.contains("version=1 ") => list("delta", &lists.gap_delta),
            _ => (404, vec![], Vec::new()),
        }
    });

    let door = DoorCli::new();
    let fingerprint = cho_core::fingerprint::short_fingerprint(&lists.signer.public_key());
    let enrol = door.run(&["enrol", &url, "ABCD-EFGH-JK", "--fingerprint", &fingerprint]);
    assert_eq!(enrol.code, 0, "{enrol:?}");
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert_eq!(
        door.run(&["sync"]).stdout,
        "up to date: list version 1, 0 entries\n"
    );
    assert_eq!(door.check_manual(BAKKER, &[]).code, 0);

    stage.store(2, Ordering::SeqCst);
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(
        sync.stdout.starts_with("synced: list version 3, ")
            && sync.stdout.contains("(snapshot, after a refused delta)"),
        "{sync:?}"
    );
    let requests = seen.lock().unwrap().clone();
    let last_two: Vec<_> = requests[requests.len() - 2..]
        .iter()
        .map(|r| r.split(' ').nth(1).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        last_two,
        [
            "/api/v1/device/list?version=1",
            "/api/v1/device/list?version=0"
        ]
    );
    assert_eq!(door.check_manual(BAKKER, &[]).code, 10);

    // A server error is a network failure (exit 5); the list stays.
    stage.store(3, Ordering::SeqCst);
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 5, "{sync:?}");
    assert!(sync.stderr.contains("HTTP 503"), "{sync:?}");
    assert_eq!(door.check_manual(BAKKER, &[]).code, 10);
}

#[test]
fn a_revoked_door_wipes_its_keys_and_list_and_says_so() {
    let lists = lists();
    let enrolment = lists.enrolment();
    // 1: the list is out; 2: the device is revoked.
    let stage = Arc::new(AtomicU64::new(1));
    let at = stage.clone();
    let (url, _) = serve(move |request| match (at.load(Ordering::SeqCst), request) {
        (_, r) if r.starts_with("POST /api/v1/devices/enrol ") => (200, vec![], enrolment.clone()),
        (1, _) => (
            200,
            vec![
                ("x-cho-list-kind", "snapshot".to_owned()),
                ("x-cho-key-epoch", "1".to_owned()),
            ],
            lists.v3.clone(),
        ),
        _ => (
            401,
            vec![],
            br#"{"error":{"code":"device_revoked","message":"this device was revoked"}}"#.to_vec(),
        ),
    });
    let door = DoorCli::new();
    let link = format!(
        "cho-enrol:{url}#code=ABCD-EFGH-JK&key={}",
        cho_core::fingerprint::fingerprint(&lists.signer.public_key())
    );
    let enrol = door.run(&["enrol", &link]);
    assert_eq!(enrol.code, 0, "{enrol:?}");
    assert_eq!(door.run(&["sync"]).code, 0);
    assert_eq!(door.check_manual(BAKKER, &[]).code, 10);

    stage.store(2, Ordering::SeqCst);
    let sync = door.run(&["sync", "--json"]);
    assert_eq!(sync.code, 4, "{sync:?}");
    let out: serde_json::Value = serde_json::from_str(&sync.stdout).unwrap();
    assert_eq!(out["error"]["code"], "revoked", "{sync:?}");
    // Wiped: no list, no keys, no credential; checks say NO LIST (never
    // the old list, never LIST OUTDATED).
    let check = door.check_manual(BAKKER, &[]);
    assert_eq!(check.code, 13, "{check:?}");
    assert!(check.stderr.contains("revoked"), "{check:?}");
    for (path, bytes) in door.stored_files() {
        assert!(
            !common::contains_ignoring_case(&bytes, "fake-credential"),
            "{} holds the credential",
            path.display()
        );
    }
    let status = door.run(&["status"]);
    assert!(status.stdout.contains("REVOKED"), "{status:?}");
    let again = door.run(&["sync"]);
    assert_eq!(again.code, 4, "{again:?}");
    assert!(again.stderr.contains("revoked"), "{again:?}");
}
