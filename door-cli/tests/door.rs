//! The real `cho-door` binary against a real cho-server (in process, demo
//! data, SQLite): enrolment, sync by snapshot and delta, key rotation,
//! checks with their exit codes, offline use, revocation, and that no name
//! or MRZ is ever printed in an error or stored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::Value;

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[test]
fn enrol_sync_check_then_offline() {
    let mut server = TestServer::start();
    let mut door = DoorCli::new();

    // Before enrolment.
    let status = door.run(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("enrolled:   no"), "{status:?}");
    let check = door.check_manual(JANSEN, &[]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("not enrolled"), "{check:?}");
    let bad_code = door.run(&[
        "enrol",
        &server.url,
        "ABCD-EFGH-JK",
        "--fingerprint",
        &server.fingerprint(),
    ]);
    assert_eq!(bad_code.code, 2, "{bad_code:?}");
    assert!(bad_code.stderr.contains("unknown, used or expired"));
    // No trust on first use: a code alone is not enough.
    let code = server.enrolment_code("kroon", VENUE_KROON);
    let no_fingerprint = door.run(&["enrol", &server.url, &code]);
    assert_eq!(no_fingerprint.code, 2, "{no_fingerprint:?}");
    assert!(
        no_fingerprint.stderr.contains("--fingerprint"),
        "{no_fingerprint:?}"
    );

    // Enrol; the credential file is the user's only; a second enrolment
    // needs --force.
    let enrol = door.enrol(&server, "kroon", VENUE_KROON);
    assert_eq!(enrol.code, 0, "{enrol:?}");
    assert!(enrol.stdout.contains("enrolled: device"), "{enrol:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(door.data_dir().join("device.bin"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = door.enrol(&server, "kroon", VENUE_KROON);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("already enrolled"), "{again:?}");

    // Enrolled, not synced: NO LIST, with the age all the same.
    let no_list = door.check_manual(JANSEN, &[]);
    assert_eq!(no_list.code, 13, "{no_list:?}");
    assert!(
        no_list.stdout.starts_with("NO LIST - sync first"),
        "{no_list:?}"
    );
    assert!(no_list.stdout.contains("adult (18+)"), "{no_list:?}");

    // Sync: a snapshot, then nothing new.
    let version = server.publish();
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(
        sync.stdout
            .starts_with(&format!("synced: list version {version}, ")),
        "{sync:?}"
    );
    assert!(sync.stdout.contains("(snapshot)"), "{sync:?}");
    let current = door.run(&["sync"]);
    assert_eq!(current.code, 0, "{current:?}");
    assert!(current.stdout.starts_with("up to date"), "{current:?}");

    // The verdicts and their exit codes.
    let banned = door.check_manual(JANSEN, &[]);
    assert_eq!(banned.code, 10, "{banned:?}");
    assert!(banned.stdout.starts_with("BANNED until 20"), "{banned:?}");
    assert!(!banned.stdout.contains('\x1b'), "NO_COLOR: {banned:?}");
    let stranger = door.check_manual(STRANGER, &[]);
    assert_eq!(stranger.code, 0, "{stranger:?}");
    assert!(stranger.stdout.starts_with("NOT BANNED"), "{stranger:?}");
    let partial = door.check_manual((JANSEN.0, "Piet", JANSEN.2), &[]);
    assert_eq!(partial.code, 11, "{partial:?}");
    assert!(
        partial
            .stdout
            .starts_with("POSSIBLE MATCH - verify: enter all names from the document"),
        "{partial:?}"
    );
    let out = json(&door.check_manual(JANSEN, &["--json"]));
    assert_eq!(out["verdict"], "banned");
    assert!(out["banned_until"].as_str().unwrap().starts_with("20"));
    assert_eq!(out["adult"], true);
    assert_eq!(out["document_expired"], Value::Null);
    assert_eq!(out["list_version"], version);
    assert!(out["list_age_seconds"].is_u64());
    assert!(out["age_years"].as_u64().unwrap() >= 30);
    let out = json(&door.check_manual(STRANGER, &["--json"]));
    assert_eq!(out["verdict"], "not_banned");
    assert_eq!(out["banned_until"], Value::Null);

    // By MRZ: as an argument, and from stdin; an expired document says so.
    let jansen_mrz = passport("Jansen", "Piet Hendrik", "940517", "300101");
    let by_mrz = door.run(&["check", "--mrz", &jansen_mrz]);
    assert_eq!(by_mrz.code, 10, "{by_mrz:?}");
    assert!(by_mrz.stdout.contains("document: valid"), "{by_mrz:?}");
    let expired = passport("de Bruijn", "Willeke Liselotte", "650310", "200101");
    let from_stdin = door.run_with_stdin(&["check", "--mrz-file", "-", "--json"], &expired);
    assert_eq!(from_stdin.code, 0, "{from_stdin:?}");
    let out = json(&from_stdin);
    assert_eq!(out["verdict"], "not_banned");
    assert_eq!(out["document_expired"], true);
    // One line, lines separated by a space, as typed.
    let one_line = jansen_mrz.replace('\n', " ");
    assert_eq!(door.run(&["check", "--mrz", &one_line]).code, 10);

    // A bad MRZ: exit 2, the reason, and never the text.
    let mut broken = jansen_mrz.clone();
    broken.replace_range(broken.len() - 1.., "0");
    let bad = door.run(&["check", "--mrz", &broken]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("invalid MRZ"), "{bad:?}");
    for piece in ["JANSEN", "PIET", "940517", "SPECI2014", "P<NLD"] {
        assert!(
            !contains_ignoring_case(bad.all().as_bytes(), piece),
            "{piece}: {bad:?}"
        );
    }
    let bad_json = door.run_with_stdin(&["check", "--mrz-file", "-", "--json"], &broken);
    assert_eq!(bad_json.code, 2, "{bad_json:?}");
    assert_eq!(json(&bad_json)["error"]["code"], "invalid_input");
    assert!(!contains_ignoring_case(bad_json.all().as_bytes(), "jansen"));

    // Time: past the list's maximum age a stranger is no longer "not
    // banned", a banned person still is.
    let later = time::OffsetDateTime::now_utc().unix_timestamp() + 3 * 86_400;
    let outdated = door.run_at(
        later,
        &[
            "check",
            "--surname",
            STRANGER.0,
            "--given-names",
            STRANGER.1,
            "--birth-date",
            STRANGER.2,
        ],
    );
    assert_eq!(outdated.code, 12, "{outdated:?}");
    assert!(
        outdated
            .stdout
            .starts_with("LIST OUTDATED - sync before relying on this"),
        "{outdated:?}"
    );
    let status = json(&door.run_at(later, &["status", "--json"]));
    assert_eq!(status["list"]["outdated"], true);

    // Status.
    let status = door.run(&["status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("enrolled:   yes"), "{status:?}");
    assert!(status.stdout.contains(&server.url), "{status:?}");
    assert!(
        status
            .stdout
            .contains(&format!("list:       version {version}")),
        "{status:?}"
    );
    let status = json(&door.run(&["status", "--json"]));
    assert_eq!(status["enrolled"], true);
    assert_eq!(status["area_id"], AREA);
    assert_eq!(status["key_epochs"], serde_json::json!([1]));
    assert_eq!(status["list"]["version"], version);
    assert_eq!(status["list"]["outdated"], false);
    assert!(status["list"]["entries"].as_u64().unwrap() > 0);
    assert!(status.get("credential").is_none());

    // Offline: the server is gone, the door still checks; a sync says the
    // server cannot be reached (exit 5) and the list stays.
    server.stop();
    let offline = door.check_manual(JANSEN, &[]);
    assert_eq!(offline.code, 10, "{offline:?}");
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 5, "{sync:?}");
    assert!(sync.stderr.contains("cannot reach the server"), "{sync:?}");
    assert_eq!(door.check_manual(JANSEN, &[]).code, 10);
    assert_eq!(door.check_manual(STRANGER, &[]).code, 0);

    // Nothing the door stored holds a name, a birth date or an MRZ.
    let files = door.stored_files();
    assert!(files.len() >= 3, "{files:?}");
    for (path, bytes) in &files {
        for needle in [
            "jansen",
            "bruijn",
            "piet",
            "willeke",
            "1994-05-17",
            "940517",
            "SPECI2014",
            "P<NLD",
        ] {
            assert!(
                !contains_ignoring_case(bytes, needle),
                "{} holds {needle}",
                path.display()
            );
        }
    }
}

#[test]
fn a_new_ban_arrives_as_a_delta_and_a_new_key_epoch_is_fetched() {
    let server = TestServer::start();
    let door = DoorCli::new();
    assert_eq!(door.enrol(&server, "fabriek", VENUE_FABRIEK).code, 0);
    server.publish();
    assert_eq!(door.run(&["sync"]).code, 0);
    let bakker = ("Bakker", "Bob", "1990-01-01");
    assert_eq!(door.check_manual(bakker, &[]).code, 0);

    // A ban at the other venue of the area reaches this door as a delta.
    server.issue_ban("kroon", VENUE_KROON, bakker);
    let version = server.publish();
    let sync = door.run(&["sync", "--json"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    let out = json(&sync);
    assert_eq!(out["result"], "updated");
    assert_eq!(out["kind"], "delta");
    assert_eq!(out["list_version"], version);
    let banned = door.check_manual(bakker, &[]);
    assert_eq!(banned.code, 10, "{banned:?}");

    // A key rotation: the list of the new epoch comes as a snapshot, the
    // door fetches the new key first; the old key is dropped.
    let epoch = server.rotate_key();
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(sync.stdout.contains("(snapshot)"), "{sync:?}");
    let status = json(&door.run(&["status", "--json"]));
    assert_eq!(status["key_epochs"], serde_json::json!([epoch]));
    assert_eq!(status["list"]["key_epoch"], epoch);
    assert_eq!(door.check_manual(bakker, &[]).code, 10);
    assert_eq!(door.check_manual(JANSEN, &[]).code, 10);
    assert_eq!(door.check_manual(STRANGER, &[]).code, 0);
}

#[test]
fn a_revoked_device_is_refused_and_can_enrol_again() {
    let server = TestServer::start();
    let door = DoorCli::new();
    assert_eq!(door.enrol(&server, "kroon", VENUE_KROON).code, 0);
    server.publish();
    assert_eq!(door.run(&["sync"]).code, 0);

    server.revoke_device("kroon", door.device_id());
    let sync = door.run(&["sync", "--json"]);
    assert_eq!(sync.code, 4, "{sync:?}");
    // A server that says `device_revoked` (contract 3, branch doorapi) has
    // the door wipe itself: checks say NO LIST, never the old list. One
    // from before that code answers a plain 401, which must not wipe (a
    // proxy's 401 would empty working doors): the list stays until it is
    // outdated. The wipe itself is proven against a fake server in
    // tests/fake_server.rs.
    let code = json(&sync)["error"]["code"].as_str().unwrap().to_owned();
    match code.as_str() {
        "revoked" => {
            assert_eq!(door.check_manual(JANSEN, &[]).code, 13, "wiped");
            let status = door.run(&["status"]);
            assert!(status.stdout.contains("REVOKED"), "{status:?}");
        }
        "unknown_device" => {
            assert_eq!(door.check_manual(JANSEN, &[]).code, 10);
            assert_eq!(door.check_manual(STRANGER, &[]).code, 0);
        }
        other => panic!("unexpected error code {other}: {sync:?}"),
    }
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 4, "{sync:?}");

    // A new code, with --force, makes it a door again.
    let enrol = door.run(&[
        "enrol",
        "--force",
        &server.enrolment_link("kroon", VENUE_KROON),
    ]);
    assert_eq!(enrol.code, 0, "{enrol:?}");
    assert_eq!(door.check_manual(JANSEN, &[]).code, 13, "wiped");
    assert_eq!(door.run(&["sync"]).code, 0);
    assert_eq!(door.check_manual(JANSEN, &[]).code, 10);
}

#[test]
fn enrolment_by_link_and_the_fingerprint_check() {
    let server = TestServer::start();
    let door = DoorCli::new();
    // Plain http to another machine is refused before anything is sent.
    let code = server.enrolment_code("kroon", VENUE_KROON);
    let remote = door.run(&[
        "enrol",
        "http://cho.example.nl",
        &code,
        "--fingerprint",
        &server.fingerprint(),
    ]);
    assert_eq!(remote.code, 2, "{remote:?}");
    assert!(
        remote.stderr.contains("plain http is refused"),
        "{remote:?}"
    );
    // Another key's fingerprint: refused, nothing stored; the code is
    // spent (the server accepted it), so the owner makes a new one.
    let wrong = door.run(&[
        "enrol",
        &server.url,
        &code,
        "--fingerprint",
        "AAAA-BBBB-CCCC",
    ]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.stderr.contains("does not match"), "{wrong:?}");
    let status = door.run(&["status"]);
    assert!(status.stdout.contains("enrolled:   no"), "{status:?}");

    let link = server.enrolment_link("kroon", VENUE_KROON);
    let enrol = door.run(&["enrol", &link]);
    assert_eq!(enrol.code, 0, "{enrol:?}");
    assert!(enrol.stdout.contains(&server.fingerprint()), "{enrol:?}");
    // A mistyped code leaves the enrolment as it was.
    let before = door.device_id();
    let typo = door.run(&[
        "enrol",
        "--force",
        &server.url,
        "ABCD-EFGH-JK",
        "--fingerprint",
        &server.fingerprint(),
    ]);
    assert_eq!(typo.code, 2, "{typo:?}");
    assert_eq!(door.device_id(), before);
    server.publish();
    assert_eq!(door.run(&["sync"]).code, 0);
    assert_eq!(door.check_manual(JANSEN, &[]).code, 10);
}

/// Reads `cho-door sync --follow`'s lines as they come.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

#[test]
fn sync_follow_applies_each_new_version_as_it_arrives() {
    let server = TestServer::start();
    let door = DoorCli::new();
    assert_eq!(door.enrol(&server, "fabriek", VENUE_FABRIEK).code, 0);
    let first = server.publish();

    let mut child = door.spawn(&["sync", "--follow"]);
    let lines = lines_of(&mut child);
    // Generous: a server without the waiting sync is polled every 10 s.
    let timeout = std::time::Duration::from_secs(60);
    let line = lines.recv_timeout(timeout).unwrap();
    assert!(
        line.starts_with(&format!("list version {first} (snapshot), ")),
        "{line}"
    );
    // A publication while the door waits (or between its polls).
    let bakker = ("Bakker", "Bob", "1990-01-01");
    server.issue_ban("fabriek", VENUE_FABRIEK, bakker);
    let second = server.publish();
    assert!(second > first);
    // Publication on commit may bring a version before this one: each is
    // a line of its own, a delta.
    loop {
        let line = lines.recv_timeout(timeout).unwrap();
        assert!(line.starts_with("list version "), "{line}");
        assert!(line.contains(" (delta), "), "{line}");
        assert!(!contains_ignoring_case(line.as_bytes(), "bakker"), "{line}");
        if line.starts_with(&format!("list version {second} ")) {
            break;
        }
    }

    // SIGTERM stops it cleanly, in the middle of a wait.
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("stopped"),
        "{output:?}"
    );
    // The applied list is in force afterwards.
    assert_eq!(door.check_manual(bakker, &[]).code, 10);
}

#[test]
fn command_line_mistakes_never_repeat_what_was_typed() {
    let door = DoorCli::new();
    let cases: [&[&str]; 6] = [
        // An unquoted two-word surname: "Vries" is left over.
        &[
            "check",
            "--surname",
            "de",
            "Vries",
            "--given-names",
            "Kees",
            "--birth-date",
            "2001-03-04",
        ],
        // Two forms at once.
        &[
            "check",
            "--mrz",
            "P<NLDVRIES",
            "--surname",
            "Vries",
            "--given-names",
            "Kees",
            "--birth-date",
            "2001-03-04",
        ],
        // An incomplete manual form.
        &["check", "--surname", "Vries"],
        &["check", "--given-names", "Kees"],
        &["check"],
        &["Vries"],
    ];
    for args in cases {
        let run = door.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains("error"), "{args:?}: {run:?}");
        for needle in ["vries", "kees", "2001"] {
            assert!(
                !contains_ignoring_case(run.all().as_bytes(), needle),
                "{args:?} printed {needle}: {run:?}"
            );
        }
    }
    // Invalid values, on an enrolled door: a bad date is an invalid
    // input, not echoed.
    let mut server = TestServer::start();
    assert_eq!(door.enrol(&server, "kroon", VENUE_KROON).code, 0);
    let run = door.check_manual(("Vries", "Kees", "04-03-2001"), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("birth date must be YYYY-MM-DD"),
        "{run:?}"
    );
    for needle in ["vries", "kees", "2001"] {
        assert!(
            !contains_ignoring_case(run.all().as_bytes(), needle),
            "{run:?}"
        );
    }
    let run = door.check_manual(("Vr1es", "Kees", "2001-03-04"), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        !contains_ignoring_case(run.all().as_bytes(), "vr1es"),
        "{run:?}"
    );
    // Not reachable: exit 5.
    server.stop();
    let run = door.run(&["sync"]);
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("cannot reach the server"), "{run:?}");
}

#[test]
fn a_signing_key_announcement_is_followed_and_pinned() {
    let server = TestServer::start();
    let door = DoorCli::new();
    assert_eq!(door.enrol(&server, "fabriek", VENUE_FABRIEK).code, 0);
    server.publish();
    assert_eq!(door.run(&["sync"]).code, 0);
    let next = server.announce_new_signing_key();
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(
        sync.stdout.contains("followed a new signing key"),
        "{sync:?}"
    );
    // The device state now pins the announced key.
    let status = json(&door.run(&["status", "--json"]));
    assert_eq!(
        status["signing_key_fingerprint"],
        cho_core::fingerprint::short_fingerprint(&next)
    );
    let again = door.run(&["sync"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("up to date"), "{again:?}");
    assert_eq!(door.check_manual(JANSEN, &[]).code, 10);
}
