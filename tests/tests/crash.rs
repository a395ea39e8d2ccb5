//! Proof under crash: no ban the server acknowledged (201) is lost when its
//! process is killed with SIGKILL at a random moment while bans are being
//! issued, and the audit chain still verifies. On SQLite and PostgreSQL,
//! against a real `cho-server serve` process; five kill cycles, so it stays
//! in the normal suite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cho_tests::*;
use serde_json::json;

const SERVER: &str = env!("CARGO_BIN_EXE_cho-server-e2e");

/// Kill cycles per backend.
const CYCLES: usize = 5;
/// Clients issuing bans at once.
const CLIENTS: usize = 4;

#[test]
fn acknowledged_bans_survive_kill_9() {
    on_both_backends(
        SERVER,
        "acknowledged_bans_survive_kill_9",
        acknowledged_bans_survive_kill_9_on,
    );
}

/// A ban the server answered 201 for: its id and the surname it was for.
type Acknowledged = (i64, String);

fn acknowledged_bans_survive_kill_9_on(env: &mut Env) {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    // Printed so a failing run can be replayed with the same moments.
    eprintln!("kill moments seed ({:?}): {seed}", env.backend);
    let mut rng = XorShift(seed);
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let mut next_person = 0_u64;

    // Sessions live in the database, so one login serves every restart.
    let token = env.http.login(KROON.0, KROON.1).bearer;
    for cycle in 0..CYCLES {
        let before = acknowledged.lock().expect("lock").len();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let base = env.server.base.clone();
                let token = token.clone();
                let acknowledged = acknowledged.clone();
                // Each client its own block of people, so no two bans are
                // for the same person.
                let first = next_person + (client as u64) * 100_000;
                std::thread::spawn(move || issue_until_refused(&base, &token, first, &acknowledged))
            })
            .collect();
        next_person += (CLIENTS as u64) * 100_000;

        // Once the stream runs (one ban acknowledged), at a random moment
        // within the next 400 ms: mid-request, mid-commit, between two.
        let deadline = Instant::now() + Duration::from_secs(60);
        while acknowledged.lock().expect("lock").len() == before {
            assert!(Instant::now() < deadline, "no ban acknowledged in 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rng.next() % 400));
        env.kill_server();
        let issued: usize = clients.into_iter().map(|c| c.join().expect("client")).sum();
        eprintln!(
            "{:?} cycle {cycle}: {issued} bans acknowledged before SIGKILL",
            env.backend
        );

        env.restart_server();
        let all = acknowledged.lock().expect("lock").clone();
        for (id, surname) in &all {
            let a = env
                .http
                .request("GET", &format!("/api/v1/bans/{id}"), Some(&token), None);
            assert_eq!(
                a.status,
                200,
                "{:?} cycle {cycle}: acknowledged ban {id} is gone: {}",
                env.backend,
                a.text()
            );
            assert!(
                a.text().contains(surname.as_str()),
                "ban {id} lost its person"
            );
        }
    }
    let total = acknowledged.lock().expect("lock").len();
    assert!(
        total >= CYCLES,
        "too few bans were acknowledged ({total}) for the kills to prove anything"
    );

    env.kill_server();
    let verify = env.run_cli(&["audit", "verify"]);
    assert!(verify.contains("intact"), "{verify}");
}

/// Issues bans for people `first`, `first + 1`, ... until the server stops
/// answering; records each 201. Any answer but 201 fails the test. Returns
/// how many were acknowledged.
fn issue_until_refused(
    base: &str,
    token: &str,
    first: u64,
    acknowledged: &Mutex<Vec<Acknowledged>>,
) -> usize {
    let http = Http::new(base);
    let mut count = 0;
    for n in first.. {
        let surname = format!("Crash {}", letters(n));
        let body = ban_body(
            VENUE_1,
            CATEGORY_1,
            json!({"surname": surname, "given_names": "Test", "birth_date": "1990-01-01"}),
        );
        let Some(a) = http.try_request("POST", "/api/v1/bans", Some(token), Some(&body)) else {
            // Killed: no answer, so nothing was promised.
            return count;
        };
        assert_eq!(a.status, 201, "issue: {}", a.text());
        let id = a.json()["id"].as_i64().expect("id");
        acknowledged.lock().expect("lock").push((id, surname));
        count += 1;
    }
    count
}

/// `n` written in letters (A = 0, base 26), so every person has a name of
/// their own that the name rules accept.
fn letters(mut n: u64) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// xorshift64: reproducible kill moments without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
