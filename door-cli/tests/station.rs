//! `cho-door station` under tmux, against a real cho-server in process: an
//! MRZ typed as a desk reader types it (a reader ending lines with `\r\n`,
//! one sending all lines in one burst), typed entry, every verdict, the
//! screen clearing itself, and that the scrollback never holds a name or
//! an MRZ. The screens are kept as text (with their colours) under
//! `target/screenshots/station/`.
//!
//! Without tmux these tests print a loud SKIPPED and pass, unless
//! `CHO_REQUIRE_ALL_TESTS=1` (CI), when they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// How long a screen may take to show what it should (a slow, busy CI
/// machine; the tests poll, so a fast one does not wait).
const DEADLINE: Duration = Duration::from_secs(30);

fn note(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Whether tmux runs; if not, a loud skip (or a failure in CI).
fn tmux_available(test: &str) -> bool {
    if Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    if std::env::var("CHO_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1") {
        panic!(
            "{test}: tmux is missing and CHO_REQUIRE_ALL_TESTS=1 forbids skipping: apt-get install tmux"
        );
    }
    note(&format!(
        "\n********************************************************************\n\
         SKIPPED: station::{test}: tmux is missing\n\
         (install with: apt-get install tmux; set CHO_REQUIRE_ALL_TESTS=1 to make this a failure)\n\
         ********************************************************************"
    ));
    false
}

/// A tmux server of its own (private socket) running one station.
struct Station {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Station {
    fn start(door: &DoorCli, now: Option<i64>, args: &[&str], size: (u16, u16)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let mut command = Command::new("tmux");
        command
            .arg("-S")
            .arg(&socket)
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "station"])
            .args(["-x", &size.0.to_string(), "-y", &size.1.to_string()])
            .arg("-e")
            .arg(format!("CHO_DOOR_DIR={}", door.data_dir().display()));
        if let Some(now) = now {
            command.arg("-e").arg(format!("CHO_DOOR_NOW={now}"));
        }
        command
            .arg(env!("CARGO_BIN_EXE_cho-door"))
            .arg("station")
            .args(args);
        let out = command.output().unwrap();
        assert!(out.status.success(), "tmux: {out:?}");
        let station = Self { socket, _dir: dir };
        station.tmux(&["set-option", "-g", "history-limit", "5000"]);
        station
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally: `\r` is Enter, `\n` is a line feed (C-j),
    /// as a reader sends them. One call reaches the terminal as one burst.
    fn type_literally(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "station", "-l", text]);
    }

    fn key(&self, name: &str) {
        self.tmux(&["send-keys", "-t", "station", name]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "station"])
    }

    /// The screen and all the scrollback tmux keeps.
    fn everything(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "station"])
    }

    /// Waits until the screen holds every one of `needles`.
    fn wait_for(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "waited {DEADLINE:?} for {needles:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Keeps the screen as text with its colours (`capture-pane -e`) and
    /// as plain text, at `target/screenshots/station/<name>.{ansi,txt}`.
    fn keep(&self, name: &str) {
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        let coloured = self.tmux(&["capture-pane", "-e", "-p", "-t", "station"]);
        std::fs::write(dir.join(format!("{name}.ansi")), coloured).unwrap();
        std::fs::write(dir.join(format!("{name}.txt")), self.screen()).unwrap();
    }

    /// Keeps the screen at 80x24 and 120x40 too, then goes back.
    fn keep_sizes(&self, name: &str, back: (u16, u16)) {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            self.tmux(&[
                "resize-window",
                "-t",
                "station",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ]);
            // The station redraws within 100 ms of a resize.
            let start = Instant::now();
            while self.screen().lines().count() != usize::from(h) && start.elapsed() < DEADLINE {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(300));
            self.keep(&format!("{name}-{w}x{h}"));
        }
        self.tmux(&[
            "resize-window",
            "-t",
            "station",
            "-x",
            &back.0.to_string(),
            "-y",
            &back.1.to_string(),
        ]);
    }
}

impl Drop for Station {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("screenshots").join("station")
}

/// An MRZ as a reader types it: each line ended by `ending`.
fn as_reader(mrz: &str, ending: &str) -> String {
    mrz.lines().map(|l| format!("{l}{ending}")).collect()
}

/// Someone aged 16 today, on a passport valid for years.
fn minor_passport() -> String {
    let now = time::OffsetDateTime::now_utc();
    let birth = format!("{:02}0101", (now.year() - 16) % 100);
    passport("Smit", "Anna", &birth, "340101")
}

/// Nothing in the pane's history or screen names anyone or holds an MRZ.
fn assert_nothing_personal(station: &Station, needles: &[&str]) {
    let all = station.everything();
    for needle in needles {
        assert!(
            !contains_ignoring_case(all.as_bytes(), needle),
            "the scrollback holds {needle}:\n{all}"
        );
    }
}

fn enrolled_and_synced(server: &TestServer) -> DoorCli {
    let door = DoorCli::new();
    assert_eq!(door.enrol(server, "kroon", VENUE_KROON).code, 0);
    server.publish();
    let sync = door.run(&["sync"]);
    assert_eq!(sync.code, 0, "{sync:?}");
    door
}

#[test]
fn station_shows_every_verdict_and_clears_itself() {
    if !tmux_available("station_shows_every_verdict_and_clears_itself") {
        return;
    }
    let server = TestServer::start();
    let door = enrolled_and_synced(&server);
    // Asked now: the running station holds the data directory.
    let device_id = door.device_id();
    let station = Station::start(
        &door,
        None,
        &["--clear-after", "3", "--wait", "1"],
        (100, 30),
    );
    station.wait_for(&["Scan het document", "ONLINE", "Gebied 1", "Lijst v"]);
    station.keep("nl-idle");

    // A reader that ends each line with \r\n, one line at a time.
    let jansen = passport("Jansen", "Piet Hendrik", "940517", "300101");
    for line in as_reader(&jansen, "\r\n").split_inclusive('\n') {
        station.type_literally(line);
    }
    let screen = station.wait_for(&["GEEN TOEGANG", "Verbod tot en met", "Leeftijd", "18+"]);
    assert!(screen.contains("document geldig"), "{screen}");
    station.keep("nl-banned");
    station.keep_sizes("nl-banned", (100, 30));
    station.key("Escape");
    station.wait_for(&["Scan het document"]);

    // A reader that sends both lines in one burst (plain \r): a minor.
    station.type_literally(&as_reader(&minor_passport(), "\r"));
    let screen = station.wait_for(&["WELKOM", "ONDER 18"]);
    let word_row = screen.lines().find(|l| l.contains("WELKOM")).unwrap();
    assert!(word_row.contains("ONDER 18"), "beside WELKOM:\n{screen}");
    station.keep("nl-welcome-under-18");
    station.keep_sizes("nl-welcome-under-18", (100, 30));

    // Typed entry with an incomplete given name: a possible match.
    station.key("Tab");
    station.wait_for(&["Met de hand invoeren", "Achternaam"]);
    station.type_literally("Jansen");
    station.key("Tab");
    station.type_literally("Piet");
    station.key("Tab");
    station.type_literally("1994-05-17");
    station.keep("nl-typed-entry");
    station.key("Enter");
    station.wait_for(&["MOGELIJKE MATCH: controleer alle namen", "ALLE namen"]);
    station.keep("nl-possible-match");
    station.keep_sizes("nl-possible-match", (100, 30));

    // It clears itself after --clear-after; nothing stays behind, not in
    // the scrollback either.
    station.wait_for(&["Scan het document"]);
    assert_nothing_personal(
        &station,
        &[
            "jansen",
            "piet",
            "smit",
            "1994-05-17",
            "940517",
            "P<NLD",
            "SPECI2014",
        ],
    );

    // A half-read MRZ (the card pulled away) is dropped, and the next
    // document reads cleanly.
    let first_line = jansen.lines().next().unwrap();
    station.type_literally(&format!("{first_line}\r"));
    station.wait_for(&["Lezen", "regel 2"]);
    station.wait_for(&["Scan het document"]);
    let start = Instant::now();
    while station.screen().contains("Lezen") {
        assert!(start.elapsed() < DEADLINE, "{}", station.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    station.type_literally(&as_reader(&jansen, "\r"));
    station.wait_for(&["GEEN TOEGANG"]);

    // Revoked: the background sync hears it. A server that says
    // `device_revoked` (contract 3) has the core wipe the door: the station
    // checks no one. One from before that code answers a plain 401: the
    // credential is not recognised, the list stays usable until outdated.
    server.revoke_device("kroon", device_id);
    let start = Instant::now();
    let screen = loop {
        let screen = station.screen();
        if screen.contains("APPARAAT INGETROKKEN") || screen.contains("APPARAAT NIET HERKEND") {
            break screen;
        }
        assert!(start.elapsed() < DEADLINE, "not revoked:\n{screen}");
        std::thread::sleep(Duration::from_millis(100));
    };
    station.keep("nl-revoked");
    station.key("Escape");
    if screen.contains("APPARAAT INGETROKKEN") {
        station.key("Tab");
        station.type_literally(&as_reader(&jansen, "\r"));
        std::thread::sleep(Duration::from_millis(500));
        let screen = station.screen();
        assert!(screen.contains("APPARAAT INGETROKKEN"), "{screen}");
        assert!(!screen.contains("GEEN TOEGANG"), "{screen}");
    } else {
        station.type_literally(&as_reader(&jansen, "\r"));
        station.wait_for(&["GEEN TOEGANG", "APPARAAT NIET HERKEND"]);
    }
    station.key("C-c");
}

#[test]
fn station_in_english_and_with_an_outdated_list() {
    if !tmux_available("station_in_english_and_with_an_outdated_list") {
        return;
    }
    let server = TestServer::start();
    let door = enrolled_and_synced(&server);
    // A serial reader: a FIFO stands in for /dev/ttyUSB0.
    let fifo_dir = tempfile::tempdir().unwrap();
    let fifo = fifo_dir.path().join("reader");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let station = Station::start(
        &door,
        None,
        &[
            "--lang",
            "en",
            "--wait",
            "1",
            "--serial",
            fifo.to_str().unwrap(),
            "--send-counts",
        ],
        (100, 30),
    );
    station.wait_for(&["Scan the document", "ONLINE", "Area 1", "List v1"]);
    station.keep("en-idle");

    // The serial reader sends a passport, lines ended by \r\n.
    let bakker = passport("Bakker", "Bob", "900101", "300101");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .unwrap()
        .write_all(as_reader(&bakker, "\r\n").as_bytes())
        .unwrap();
    station.wait_for(&["WELCOME", "18+"]);
    station.key("Escape");

    // A ban issued while the station runs reaches it in the background.
    server.issue_ban("kroon", VENUE_KROON, ("Bakker", "Bob", "1990-01-01"));
    server.publish();
    station.wait_for(&["List v2"]);
    station.type_literally(&as_reader(&bakker, "\r"));
    station.wait_for(&["ACCESS DENIED", "Banned until"]);
    station.key("Escape");
    let jansen = passport("Jansen", "Piet Hendrik", "940517", "300101");
    station.type_literally(&as_reader(&jansen, "\r\n"));
    station.wait_for(&["ACCESS DENIED", "Banned until", "18+"]);
    station.keep("en-banned");
    station.keep_sizes("en-banned", (100, 30));
    station.key("Escape");
    station.type_literally(&as_reader(&minor_passport(), "\r"));
    station.wait_for(&["WELCOME", "UNDER 18"]);
    station.keep("en-welcome-under-18");
    station.key("Escape");
    // An expired passport of someone not banned.
    let expired = passport("de Bruijn", "Willeke Liselotte", "650310", "200101");
    station.type_literally(&as_reader(&expired, "\r"));
    station.wait_for(&["WELCOME", "DOCUMENT EXPIRED"]);
    station.keep("en-welcome-expired");
    // With --send-counts the station's checks reach the owner's "checks
    // tonight" after its next sync: 3 welcome, 2 access denied, nothing
    // else (the counts are hours and verdicts, no person).
    let deadline = Instant::now() + Duration::from_secs(30);
    let tonight = loop {
        let tonight = server.checks_tonight("kroon")[0].clone();
        if tonight["total"] == 5 || Instant::now() > deadline {
            break tonight;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(tonight["welcome"], 3, "{tonight}");
    assert_eq!(tonight["banned"], 2, "{tonight}");
    assert_eq!(tonight["total"], 5, "{tonight}");
    station.key("C-c");
    drop(station);

    // Three days on, past the list's maximum age.
    let later = time::OffsetDateTime::now_utc().unix_timestamp() + 3 * 86_400;
    for (lang, word, mark) in [
        ("nl", "LIJST VEROUDERD", "VEROUDERD"),
        ("en", "LIST OUTDATED", "OUTDATED"),
    ] {
        let station = Station::start(&door, Some(later), &["--lang", lang], (100, 30));
        station.wait_for(&[mark]);
        station.type_literally(&as_reader(&expired, "\r\n"));
        station.wait_for(&[word]);
        station.keep(&format!("{lang}-list-outdated"));
        station.key("C-c");
    }
}

#[test]
fn station_without_a_list_and_offline() {
    if !tmux_available("station_without_a_list_and_offline") {
        return;
    }
    let mut server = TestServer::start();
    let door = DoorCli::new();
    assert_eq!(door.enrol(&server, "kroon", VENUE_KROON).code, 0);
    server.stop();
    for (lang, word, offline) in [
        ("nl", "GEEN LIJST", "nog nooit gesynchroniseerd"),
        ("en", "NO LIST", "never synced"),
    ] {
        let station = Station::start(&door, None, &["--lang", lang], (100, 30));
        station.wait_for(&["OFFLINE", offline, word]);
        station.type_literally(&as_reader(
            &passport("Jansen", "Piet Hendrik", "940517", "300101"),
            "\r",
        ));
        station.wait_for(&[word, "18+"]);
        station.keep(&format!("{lang}-no-list-offline"));
        station.key("C-c");
    }
}
