//! The limits on guessing (issue 7, items 3, 4, 5, 9): per (username,
//! client address), per address and overall for password checks; per
//! address for enrolment; the hashing gate; the client address itself.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use cho_server::http::client::TrustedProxies;
use cho_server::services::auth::PasswordHashing;
use cho_server::services::limits::{LimitSettings, Limits, Rate};

use crate::both;
use crate::fixtures::*;
use crate::harness::*;

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 66));
const USER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));

fn host(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + n))
}

/// No address or overall limit in the way (for tests of something else).
fn generous() -> LimitSettings {
    LimitSettings {
        password_per_address: Rate::per_minute(100_000),
        password_overall: Rate::per_minute(100_000),
        enrol_per_address: Rate::per_minute(100_000),
        table_capacity: 100_000,
    }
}

async fn login_from(
    app: &TestApp,
    peer: IpAddr,
    user: &str,
    password: &str,
) -> (StatusCode, Option<i64>, Value) {
    let (status, headers, body) = app
        .request_from(
            peer,
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": user, "password": password})),
        )
        .await;
    let retry = headers
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, body)
}

/// Fails `times` logins of `user` from `peer`, waiting out every slow-down.
async fn fail_logins(app: &TestApp, peer: IpAddr, user: &str, times: usize) {
    let mut failed = 0;
    while failed < times {
        let (status, retry, body) = login_from(app, peer, user, "wrong password!").await;
        match status {
            StatusCode::UNAUTHORIZED => failed += 1,
            StatusCode::TOO_MANY_REQUESTS => app.clock.advance(retry.unwrap()),
            other => panic!("{other}: {body}"),
        }
    }
}

both!(an_attacker_elsewhere_cannot_lock_the_user_out);
async fn an_attacker_elsewhere_cannot_lock_the_user_out(app: TestApp) {
    app.seed().await;
    fail_logins(&app, ATTACKER, OWNER_A.0, 12).await;
    // The attacker's address is locked out for 15 minutes, even with the
    // right password...
    let (status, retry, _) = login_from(&app, ATTACKER, OWNER_A.0, OWNER_A.1).await;
    assert_eq!((status, retry), (StatusCode::TOO_MANY_REQUESTS, Some(900)));
    // ...while the user, at their own address, logs in at once.
    let (status, _, body) = login_from(&app, USER, OWNER_A.0, OWNER_A.1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // And a success there does not free the attacker's address.
    let (status, _, _) = login_from(&app, ATTACKER, OWNER_A.0, OWNER_A.1).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

both!(one_address_is_slowed_over_every_name);
async fn one_address_is_slowed_over_every_name(app: TestApp) {
    app.seed().await;
    let burst = LimitSettings::default().password_per_address.burst;
    // Spread over names (real and invented), so no name is slowed down.
    for n in 0..burst {
        let name = match n {
            0 => OWNER_A.0.to_owned(),
            1 => OWNER_A2.0.to_owned(),
            2 => BEHEERDER_A.0.to_owned(),
            n => format!("nobody-{n}"),
        };
        let (status, _, body) = login_from(&app, ATTACKER, &name, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}: {body}");
    }
    let (status, retry, body) = login_from(&app, ATTACKER, "nobody-x", "wrong password!").await;
    assert_error(
        &(status, body),
        StatusCode::TOO_MANY_REQUESTS,
        "login_throttled",
    );
    assert_eq!(retry, Some(6), "10 a minute once the burst is spent");
    // Another address is not slowed down.
    let (status, _, _) = login_from(&app, USER, OWNER_A.0, OWNER_A.1).await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(6);
    let (status, _, _) = login_from(&app, ATTACKER, "nobody-y", "wrong password!").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

both!(a_distributed_guesser_meets_the_overall_limit);
async fn a_distributed_guesser_meets_the_overall_limit(mut app: TestApp) {
    app.seed().await;
    app.rebuild(|a| {
        a.limits = Limits::new(LimitSettings {
            password_overall: Rate {
                burst: 5,
                per_minute: 60,
            },
            ..generous()
        });
    });
    let before = app.app.passwords.operations();
    for n in 0..5 {
        let (status, _, _) = login_from(&app, host(n), OWNER_A.0, "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The sixth guess, from a sixth address, costs no hash.
    let (status, retry, body) = login_from(&app, host(99), OWNER_A.0, "wrong password!").await;
    assert_error(&(status, body), StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert_eq!(retry, Some(1));
    assert_eq!(app.app.passwords.operations(), before + 5);
    app.clock.advance(1);
    let (status, _, _) = login_from(&app, USER, OWNER_A.0, OWNER_A.1).await;
    assert_eq!(status, StatusCode::OK);
    // Successes give their attempt back: logging in stays possible.
    for _ in 0..10 {
        assert_eq!(
            login_from(&app, USER, OWNER_A.0, OWNER_A.1).await.0,
            StatusCode::OK
        );
    }
}

both!(every_login_costs_one_verify_and_one_audit_event);
async fn every_login_costs_one_verify_and_one_audit_event(app: TestApp) {
    app.seed().await;
    app.app.passwords.warm_up().await.unwrap();
    for (user, password, status) in [
        (OWNER_A.0, "wrong password!", StatusCode::UNAUTHORIZED),
        ("nobody", "wrong password!", StatusCode::UNAUTHORIZED),
        (
            "nobody\u{200B}",
            "wrong password!",
            StatusCode::UNAUTHORIZED,
        ),
        (OWNER_A.0, OWNER_A.1, StatusCode::OK),
    ] {
        let (ops, seq) = (app.app.passwords.operations(), app.last_seq().await);
        let (got, _, body) = login_from(&app, USER, user, password).await;
        assert_eq!(got, status, "{user:?}: {body}");
        assert_eq!(
            app.app.passwords.operations(),
            ops + 1,
            "{user:?}: one Argon2 verify"
        );
        let events = app.events_after(seq).await;
        assert_eq!(events.len(), 1, "{user:?}: {events:?}");
        let expected = if status == StatusCode::OK {
            "login"
        } else {
            "login.failed"
        };
        assert_eq!(events[0].1, expected);
        if user.starts_with("nobody") {
            assert_eq!(
                events[0],
                (
                    "anonymous".to_owned(),
                    "login.failed".to_owned(),
                    "account".to_owned(),
                    "unknown".to_owned()
                )
            );
        }
    }
}

both!(unknown_names_are_throttled_like_real_ones_and_cannot_flush);
async fn unknown_names_are_throttled_like_real_ones_and_cannot_flush(mut app: TestApp) {
    app.seed().await;
    app.rebuild(|a| {
        a.limits = Limits::new(LimitSettings {
            table_capacity: 50,
            ..generous()
        })
    });
    fail_logins(&app, ATTACKER, OWNER_A.0, 10).await;
    let known = login_from(&app, ATTACKER, OWNER_A.0, "x").await;
    assert_eq!(
        (known.0, known.1),
        (StatusCode::TOO_MANY_REQUESTS, Some(900))
    );
    fail_logins(&app, ATTACKER, "nobody", 10).await;
    let unknown = login_from(&app, ATTACKER, "nobody", "x").await;
    assert_eq!((unknown.0, unknown.1), (known.0, known.1));
    // Five times as many invented names as the table holds later, both
    // are still locked: the table drops the least telling entries, never
    // everything.
    for n in 0..250 {
        login_from(&app, ATTACKER, &format!("invented-{n}"), "x").await;
    }
    assert_eq!(
        login_from(&app, ATTACKER, OWNER_A.0, OWNER_A.1).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, ATTACKER, "nobody", "x").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn change_password(
    app: &TestApp,
    peer: IpAddr,
    token: &str,
    current: &str,
) -> (StatusCode, Option<i64>, Value) {
    let (status, headers, body) = app
        .request_from(
            peer,
            "POST",
            "/api/v1/auth/password",
            Some(token),
            Some(json!({"current_password": current, "new_password": "a brand new password"})),
        )
        .await;
    let retry = headers
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, body)
}

both!(wrong_current_passwords_are_throttled_and_audited_like_logins);
async fn wrong_current_passwords_are_throttled_and_audited_like_logins(app: TestApp) {
    app.seed().await;
    let stolen = app.login(OWNER_A.0, OWNER_A.1).await;
    let account = app.account_id(OWNER_A.0).await;
    let seq = app.last_seq().await;
    for i in 0..3 {
        let (status, _, body) = change_password(&app, ATTACKER, &stolen, "guess!").await;
        assert_error(&(status, body), StatusCode::UNAUTHORIZED, "bad_credentials");
        let events = app.events_after(seq).await;
        assert_eq!(events.len(), i + 1);
        assert_eq!(
            events[i],
            (
                format!("account:{account}"),
                "password.change.failed".to_owned(),
                "account".to_owned(),
                account.to_string()
            )
        );
    }
    // From the third failure the guesser waits, here and at the login:
    // one count for both ways of checking the password.
    let (status, retry, body) = change_password(&app, ATTACKER, &stolen, OWNER_A.1).await;
    assert_error(
        &(status, body),
        StatusCode::TOO_MANY_REQUESTS,
        "login_throttled",
    );
    assert_eq!(retry, Some(1));
    assert_eq!(
        login_from(&app, ATTACKER, OWNER_A.0, OWNER_A.1).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner, at their own address, is not held up.
    let (status, _, _) = login_from(&app, USER, OWNER_A.0, OWNER_A.1).await;
    assert_eq!(status, StatusCode::OK);
    // Refused attempts write nothing more.
    assert_eq!(
        app.events_after(seq).await.len(),
        4,
        "3 failures + the login"
    );
}

both!(parallel_password_checks_pass_one_gate);
/// 200 parallel attempts (each its own name and address, so no limit
/// stops them first) never run more Argon2 at once than the gate allows;
/// those it cannot queue get 503 with Retry-After at once.
async fn parallel_password_checks_pass_one_gate(mut app: TestApp) {
    app.seed().await;
    app.rebuild(|a| {
        a.limits = Limits::new(generous());
        // Costly enough that 200 unchecked verifies would overlap.
        a.passwords = PasswordHashing::for_tests(2048, 2);
    });
    app.app.passwords.warm_up().await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..200u32 {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header("content-type", "application/json")
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                host(n),
                1,
            )))
            .body(axum::body::Body::from(
                json!({"username": format!("guess-{n}"), "password": "x"}).to_string(),
            ))
            .unwrap();
        let router = app.router();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let response = router.oneshot(request).await.unwrap();
            (
                response.status(),
                response.headers().contains_key("retry-after"),
            )
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let peak = app.app.passwords.peak_concurrency();
    assert!(
        (1..=2).contains(&peak),
        "at most 2 hashes at once, saw {peak}"
    );
    let mut answered = (0, 0);
    for (status, retry) in answers {
        match status {
            StatusCode::UNAUTHORIZED => answered.0 += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(retry, "503 without Retry-After");
                answered.1 += 1
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!(answered.0 + answered.1, 200);
    assert!(answered.0 >= 2, "some were checked: {answered:?}");
}

/// Sends one raw HTTP/1.1 request to `server` from the local address
/// `from`; the status code.
async fn raw_post(
    server: std::net::SocketAddr,
    from: IpAddr,
    path: &str,
    extra_headers: &str,
    body: &Value,
) -> u16 {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n{extra_headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

both!(the_serve_loop_limits_by_socket_peer_and_trusted_forwarding);
async fn the_serve_loop_limits_by_socket_peer_and_trusted_forwarding(mut app: TestApp) {
    app.seed().await;
    let proxy: IpAddr = "127.0.0.3".parse().unwrap();
    app.rebuild(|a| a.trusted_proxies = TrustedProxies::new(vec!["127.0.0.3".parse().unwrap()]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(cho_server::serve(listener, app.app.clone(), async {
        let _ = stopped.await;
    }));
    let wrong = json!({"username": OWNER_A.0, "password": "wrong password!"});
    let right = json!({"username": OWNER_A.0, "password": OWNER_A.1});
    let login = "/api/v1/auth/login";
    let a: IpAddr = "127.0.0.1".parse().unwrap();
    let b: IpAddr = "127.0.0.2".parse().unwrap();
    // Three failures from 127.0.0.1; it must wait, even when it claims to
    // be someone else (it is no trusted proxy).
    for _ in 0..3 {
        assert_eq!(raw_post(server, a, login, "", &wrong).await, 401);
    }
    assert_eq!(raw_post(server, a, login, "", &right).await, 429);
    let forged = "x-forwarded-for: 198.51.100.1\r\n";
    assert_eq!(raw_post(server, a, login, forged, &right).await, 429);
    // 127.0.0.2 is another client.
    assert_eq!(raw_post(server, b, login, "", &right).await, 200);
    // Behind the trusted proxy, the forwarded address is the client.
    let via = |client: &str| format!("x-forwarded-for: 6.6.6.6, {client}\r\n");
    for _ in 0..3 {
        assert_eq!(
            raw_post(server, proxy, login, &via("192.0.2.77"), &wrong).await,
            401
        );
    }
    assert_eq!(
        raw_post(server, proxy, login, &via("192.0.2.77"), &right).await,
        429
    );
    assert_eq!(
        raw_post(server, proxy, login, &via("192.0.2.78"), &right).await,
        200
    );
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve stops")
        .unwrap()
        .unwrap();
}

/// Creates an enrolment code at venue A1 (as owner A).
async fn new_code(app: &TestApp, s: &Seeded) -> String {
    let owner = app.login(OWNER_A.0, OWNER_A.1).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/venues/{}/enrolment-codes", s.venue_a1),
            &owner,
            json!({"name": "Voordeur"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["code"].as_str().unwrap().to_owned()
}

async fn enrol_from(app: &TestApp, peer: IpAddr, code: &str) -> (StatusCode, Option<i64>, Value) {
    let (status, headers, body) = app
        .request_from(
            peer,
            "POST",
            "/api/v1/devices/enrol",
            None,
            Some(json!({"code": code})),
        )
        .await;
    let retry = headers
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, body)
}

both!(enrolment_is_limited_per_address_and_failures_are_audited);
async fn enrolment_is_limited_per_address_and_failures_are_audited(mut app: TestApp) {
    let s = app.seed().await;
    app.rebuild(|a| {
        a.limits = Limits::new(LimitSettings {
            enrol_per_address: Rate::per_minute(3),
            ..LimitSettings::default()
        })
    });
    let seq = app.last_seq().await;
    let guesses = ["ABCD-EFGH-JK", "ABCD-EFGH-JM", "ABCD-EFGH-JN"];
    for guess in guesses {
        let (status, _, body) = enrol_from(&app, ATTACKER, guess).await;
        assert_error(&(status, body), StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
    // The first miss is in the trail at once; the next ones are counted
    // (a flood of misses costs one write a minute).
    let failed = |n: &str| {
        (
            "anonymous".to_owned(),
            "device.enrol.failed".to_owned(),
            "enrolment_attempts".to_owned(),
            n.to_owned(),
        )
    };
    assert_eq!(app.events_after(seq).await, vec![failed("1")]);
    let (status, retry, body) = enrol_from(&app, ATTACKER, "ABCD-EFGH-JP").await;
    assert_error(&(status, body), StatusCode::TOO_MANY_REQUESTS, "throttled");
    assert_eq!(retry, Some(20));
    // A real code, from the owner's address, works, and its enrolment
    // carries the counts along.
    let code = new_code(&app, &s).await;
    let seq = app.last_seq().await;
    let (status, _, body) = enrol_from(&app, USER, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events = app.events_after(seq).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].1, "device.enrol");
    assert_eq!(events[1], failed("2"));
    assert_eq!(events[2].1, "device.enrol.throttled");
    assert_eq!(events[2].3, "1");
    // No code text anywhere in the trail (or anywhere else).
    for (column, value) in app.all_stored_values().await {
        for text in guesses.iter().copied().chain([code.as_str()]) {
            assert!(!contains(&value, text), "{column} holds a code");
            assert!(!contains(&value, &text.replace('-', "")), "{column}");
        }
    }
    // 20 s later (3 a minute) the attacker's address may try again.
    app.clock.advance(20);
    assert_eq!(
        enrol_from(&app, ATTACKER, "ABCD-EFGH-JQ").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

both!(an_enrolment_miss_takes_no_write_lock);
async fn an_enrolment_miss_takes_no_write_lock(app: TestApp) {
    app.seed().await;
    // The first miss of the minute is audited (a write); the next are not.
    assert_eq!(
        enrol_from(&app, ATTACKER, "AAAA-AAAA-AA").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let writer = app.db().begin_write(START).await.unwrap();
    let miss = tokio::time::timeout(
        Duration::from_secs(5),
        enrol_from(&app, ATTACKER, "BBBB-BBBB-BB"),
    )
    .await
    .expect("a miss answers while a writer holds the lock");
    assert_eq!(miss.0, StatusCode::UNPROCESSABLE_ENTITY);
    drop(writer);
}

both!(many_doors_from_one_address_with_a_raised_limit);
async fn many_doors_from_one_address_with_a_raised_limit(mut app: TestApp) {
    let s = app.seed().await;
    app.rebuild(|a| a.limits = Limits::default());
    let default = LimitSettings::default().enrol_per_address.burst as usize;
    let codes: Vec<String> = {
        let mut codes = Vec::new();
        for _ in 0..default + 5 {
            codes.push(new_code(&app, &s).await);
        }
        codes
    };
    let mut statuses = Vec::new();
    for code in &codes[..default + 1] {
        statuses.push(enrol_from(&app, USER, code).await.0);
    }
    assert!(statuses[..default].iter().all(|s| *s == StatusCode::OK));
    assert_eq!(statuses[default], StatusCode::TOO_MANY_REQUESTS);
    // What `--enrol-attempts-per-minute 1000` sets.
    app.rebuild(|a| {
        a.limits = Limits::new(LimitSettings {
            enrol_per_address: Rate::per_minute(1000),
            ..LimitSettings::default()
        })
    });
    for code in &codes[default..] {
        assert_eq!(enrol_from(&app, USER, code).await.0, StatusCode::OK);
    }
}
