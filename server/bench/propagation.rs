//! The propagation benchmark's driver (run by `server/bench/propagation.sh`,
//! which starts the server): N door devices, each enrolled through the API
//! with its own credential and store directory, wait for a new list with
//! `GET /api/v1/device/list?version=V&wait=60`; bans are issued through
//! the API one at a time, and for each the time from its `201` to the
//! moment each door has verified and applied a list that says `Banned` for
//! the person (`cho_core::checker::Door::apply_update`, then a check).
//!
//! Also measured: the server's resident memory per waiting door (RSS with
//! every door waiting minus RSS with none, over N) and the database work of
//! an idle minute (every door waiting, no ban), from the server's own
//! counters in `/metrics` and, when given, a command printing a database
//! counter (PostgreSQL: `pg_stat_database` transactions).
//!
//! HTTP/1.1 by hand over tokio (a keep-alive connection per door): the
//! server's dependencies, nothing more.

use std::error::Error;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cho_core::checker::{Door, Verdict};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

fn err(text: impl Into<String>) -> Box<dyn Error + Send + Sync> {
    text.into().into()
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Res<Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

impl Conn {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            stream: None,
        }
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Res<Answer> {
        // One retry on a connection the server closed while idle.
        match self.try_request(method, path, headers, body).await {
            Ok(a) => Ok(a),
            Err(_) => {
                self.stream = None;
                self.try_request(method, path, headers, body).await
            }
        }
    }

    async fn try_request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Res<Answer> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr).await?;
            s.set_nodelay(true)?;
            self.stream = Some(BufReader::new(s));
        }
        let stream = self.stream.as_mut().ok_or_else(|| err("no connection"))?;
        let body = body
            .map(serde_json::to_vec)
            .transpose()?
            .unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {}\r\n", self.addr);
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() {
            head.push_str("content-type: application/json\r\n");
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let mut out = head.into_bytes();
        out.extend_from_slice(&body);
        stream.get_mut().write_all(&out).await?;
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Err(err("connection closed"));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v): &(String, String)| v.clone())
        };
        let mut body = Vec::new();
        if let Some(len) = find("content-length") {
            let len: usize = len.parse()?;
            body.resize(len, 0);
            stream.read_exact(&mut body).await?;
        } else if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            loop {
                line.clear();
                stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                let mut chunk = vec![0; size + 2];
                stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        }
        if find("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            self.stream = None;
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

struct Config {
    addr: String,
    metrics: String,
    doors: usize,
    bans: usize,
    server_pid: u32,
    store: PathBuf,
    owner: (String, String),
    venue: i64,
    category: i64,
    db_counter: Option<String>,
    idle_seconds: u64,
}

fn config() -> Res<Config> {
    let mut c = Config {
        addr: String::new(),
        metrics: String::new(),
        doors: 2000,
        bans: 5,
        server_pid: 0,
        store: PathBuf::from("/dev/shm/cho-propagation"),
        owner: ("kroon".to_owned(), "demo-kroon-2026".to_owned()),
        venue: 1,
        category: 1,
        db_counter: None,
        idle_seconds: 60,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| err(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--addr" => c.addr = value()?,
            "--metrics" => c.metrics = value()?,
            "--doors" => c.doors = value()?.parse()?,
            "--bans" => c.bans = value()?.parse()?,
            "--server-pid" => c.server_pid = value()?.parse()?,
            "--store" => c.store = PathBuf::from(value()?),
            "--venue" => c.venue = value()?.parse()?,
            "--category" => c.category = value()?.parse()?,
            "--db-counter" => c.db_counter = Some(value()?),
            "--idle-seconds" => c.idle_seconds = value()?.parse()?,
            other => return Err(err(format!("unknown flag {other}"))),
        }
    }
    if c.addr.is_empty() || c.metrics.is_empty() || c.server_pid == 0 {
        return Err(err(
            "usage: --addr HOST:PORT --metrics HOST:PORT --server-pid PID [--doors N] [--bans N] [--store DIR] [--db-counter CMD]",
        ));
    }
    Ok(c)
}

fn b64(v: &Value) -> Res<Vec<u8>> {
    Ok(URL_SAFE_NO_PAD.decode(v.as_str().ok_or_else(|| err("not a string"))?)?)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn rss_kib(pid: u32) -> Res<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| err("no VmRSS"))
}

async fn metric(addr: &str, name: &str) -> Res<f64> {
    let mut conn = Conn::new(addr);
    let a = conn.request("GET", "/metrics", &[], None).await?;
    let text = String::from_utf8_lossy(&a.body);
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| err(format!("no metric {name}")))
}

fn db_counter(cmd: &Option<String>) -> Option<i64> {
    let cmd = cmd.as_ref()?;
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// A door: its credential, store and list version.
struct BenchDoor {
    credential: String,
    door: Door,
    version: i64,
}

fn letters(mut n: u64) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The person of ban `k`.
fn person(k: usize, run: i64) -> (String, String, String) {
    (
        "Propagatie".to_owned(),
        // Names take letters only: the run and the ban number as letters.
        format!("{} {}", letters(run as u64), letters(k as u64 + 1)),
        format!("19{:02}-0{}-1{}", 60 + k / 10 % 40, 1 + k % 9, k % 10),
    )
}

/// Enrols door `i` through the API and applies its first list.
async fn enrol(c: &Config, owner: &str, i: usize) -> Res<BenchDoor> {
    let mut conn = Conn::new(&c.addr);
    let auth = format!("Bearer {owner}");
    let code = conn
        .request(
            "POST",
            &format!("/api/v1/venues/{}/enrolment-codes", c.venue),
            &[("authorization", &auth)],
            Some(&json!({"name": format!("bench door {i}")})),
        )
        .await?;
    if code.status != 201 {
        return Err(err(format!(
            "code: {} {}",
            code.status,
            String::from_utf8_lossy(&code.body)
        )));
    }
    let code = code.json()?;
    let enrolled = conn
        .request(
            "POST",
            "/api/v1/devices/enrol",
            &[],
            Some(&json!({"code": code["code"]})),
        )
        .await?;
    if enrolled.status != 200 {
        return Err(err(format!(
            "enrol: {} {}",
            enrolled.status,
            String::from_utf8_lossy(&enrolled.body)
        )));
    }
    let e = enrolled.json()?;
    let dir = c.store.join(format!("door-{i}"));
    std::fs::create_dir_all(&dir)?;
    let mut door = Door::open(&dir, &b64(&e["signing_public_key"])?)?;
    door.set_area_key(
        e["area_id"].as_u64().ok_or_else(|| err("area"))?,
        u32::try_from(e["key_epoch"].as_u64().ok_or_else(|| err("epoch"))?)?,
        &b64(&e["identity_key"])?,
        true,
    )?;
    let credential = e["credential"]
        .as_str()
        .ok_or_else(|| err("credential"))?
        .to_owned();
    let first = conn
        .request(
            "GET",
            "/api/v1/device/list?version=0",
            &[("authorization", &format!("Device {credential}"))],
            None,
        )
        .await?;
    if first.status != 200 {
        return Err(err(format!("first list: {}", first.status)));
    }
    let version = first
        .header("x-cho-list-version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| err("version"))?;
    door.apply_update(first.body, now_unix())?;
    Ok(BenchDoor {
        credential,
        door,
        version,
    })
}

/// What the doors share with the driver: per ban, when its 201 came and
/// how long each door took after it.
#[derive(Default)]
struct Shared {
    /// (person, the 201's instant) per ban issued so far.
    bans: Vec<((String, String, String), Option<Instant>)>,
    /// Per ban, the latency of each door that has it.
    latencies: Vec<Vec<Duration>>,
    /// Doors that saw a ban before its 201 arrived (counted as 0).
    early: usize,
}

/// A door waiting for ever: after each new list, checks every ban it has
/// not seen yet.
async fn follow(
    c: Arc<Config>,
    mut d: BenchDoor,
    shared: Arc<Mutex<Shared>>,
    waiting: Arc<AtomicUsize>,
) -> Res<()> {
    let mut conn = Conn::new(&c.addr);
    let auth = format!("Device {}", d.credential);
    let mut seen = 0usize;
    let mut counted = false;
    loop {
        if !counted {
            waiting.fetch_add(1, Ordering::Relaxed);
            counted = true;
        }
        let a = conn
            .request(
                "GET",
                &format!("/api/v1/device/list?version={}&wait=60", d.version),
                &[("authorization", &auth)],
                None,
            )
            .await?;
        match a.status {
            304 => continue,
            200 => {}
            other => return Err(err(format!("sync answered {other}"))),
        }
        let version = a
            .header("x-cho-list-version")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| err("version"))?;
        d.door.apply_update(a.body, now_unix())?;
        let applied = Instant::now();
        d.version = version;
        let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
        while seen < s.bans.len() {
            let ((surname, given, born), at) = s.bans[seen].clone();
            let check = d.door.check_manual(&surname, &given, &born, now_unix())?;
            if check.verdict != Verdict::Banned {
                break;
            }
            let latency = match at {
                Some(at) => applied.saturating_duration_since(at),
                None => {
                    s.early += 1;
                    Duration::ZERO
                }
            };
            s.latencies[seen].push(latency);
            seen += 1;
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Res<()> {
    let c = Arc::new(config()?);
    let run = now_unix();
    std::fs::create_dir_all(&c.store)?;
    let mut conn = Conn::new(&c.addr);
    let login = conn
        .request(
            "POST",
            "/api/v1/auth/login",
            &[],
            Some(&json!({"username": c.owner.0, "password": c.owner.1})),
        )
        .await?
        .json()?;
    let owner = login["token"]
        .as_str()
        .ok_or_else(|| err("login"))?
        .to_owned();

    // Enrolment: every door through the API, 16 at a time.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for i in 0..c.doors {
        let (c, owner, gate) = (c.clone(), owner.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            enrol(&c, &owner, i).await
        }));
    }
    let mut doors = Vec::new();
    for t in tasks {
        doors.push(t.await??);
    }
    println!(
        "enrolled {} doors through the API in {:.1} s (code + enrolment + first list each)",
        doors.len(),
        started.elapsed().as_secs_f64()
    );

    // Idle memory: no door connected.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = rss_kib(c.server_pid)?;

    let shared = Arc::new(Mutex::new(Shared::default()));
    let waiting = Arc::new(AtomicUsize::new(0));
    let mut followers = Vec::new();
    for d in doors {
        let task = tokio::spawn(follow(c.clone(), d, shared.clone(), waiting.clone()));
        followers.push(task);
    }
    // Every door waits on the server.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = metric(&c.metrics, "cho_sync_waiting").await.unwrap_or(0.0) as usize;
        if n >= c.doors {
            break;
        }
        if Instant::now() > deadline {
            return Err(err(format!("only {n} doors wait")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_waiting = rss_kib(c.server_pid)?;
    println!(
        "server RSS: {} KiB idle, {} KiB with {} doors waiting: {:.1} KiB per waiting door",
        rss_idle,
        rss_waiting,
        c.doors,
        (rss_waiting.saturating_sub(rss_idle)) as f64 / c.doors as f64
    );

    // An idle minute: every door waits (and asks again when its wait of
    // 60 s ends), no ban.
    if c.idle_seconds > 0 {
        let watch0 = metric(&c.metrics, "cho_list_watch_queries_total").await?;
        let reads0 = metric(&c.metrics, "cho_sync_db_reads_total").await?;
        let db0 = db_counter(&c.db_counter);
        tokio::time::sleep(Duration::from_secs(c.idle_seconds)).await;
        let watch1 = metric(&c.metrics, "cho_list_watch_queries_total").await?;
        let reads1 = metric(&c.metrics, "cho_sync_db_reads_total").await?;
        let db1 = db_counter(&c.db_counter);
        let per_min = |a: f64, b: f64| (b - a) * 60.0 / c.idle_seconds as f64;
        println!(
            "idle {} s with {} doors waiting: version watcher {:.0} queries/min; device syncs {:.0} database statements/min (every door renews its wait once a minute: credential and version from the cache; the sync times of all doors in one statement per 500, once a minute){}",
            c.idle_seconds,
            c.doors,
            per_min(watch0, watch1),
            per_min(reads0, reads1),
            match (db0, db1) {
                (Some(a), Some(b)) => format!(
                    "; database transactions (pg_stat_database) {:.0}/min",
                    per_min(a as f64, b as f64)
                ),
                _ => String::new(),
            }
        );
    }

    // The bans, one at a time.
    let mut all = Vec::new();
    println!("| ban | doors | p50 | p95 | p99 | max |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for k in 0..c.bans {
        let who = person(k, run);
        {
            let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
            s.bans.push((who.clone(), None));
            s.latencies.push(Vec::new());
        }
        let body = json!({
            "venue_id": c.venue, "category_id": c.category,
            "person": {"surname": who.0, "given_names": who.1, "birth_date": who.2},
            "incident_at": "2026-11-28T01:30:00+01:00",
            "incident_description": "Propagation benchmark",
            "hearing": {"statement": "none"}
        });
        let answer = conn
            .request(
                "POST",
                "/api/v1/bans",
                &[("authorization", &format!("Bearer {owner}"))],
                Some(&body),
            )
            .await?;
        let at = Instant::now();
        if answer.status != 201 {
            return Err(err(format!(
                "ban: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )));
        }
        shared.lock().unwrap_or_else(PoisonError::into_inner).bans[k].1 = Some(at);
        let deadline = at + Duration::from_secs(60);
        loop {
            let n = shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .latencies[k]
                .len();
            if n >= c.doors {
                break;
            }
            if Instant::now() > deadline {
                println!("ban {}: only {n} of {} doors within 60 s", k + 1, c.doors);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut l = shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .latencies[k]
            .clone();
        l.sort();
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            k + 1,
            l.len(),
            ms(percentile(&l, 50.0)),
            ms(percentile(&l, 95.0)),
            ms(percentile(&l, 99.0)),
            ms(l.last().copied().unwrap_or_default())
        );
        all.extend(l);
        // The next ban after a quiet moment, as separate bans would come.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    all.sort();
    println!(
        "| all | {} | {} | {} | {} | {} |",
        all.len(),
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 95.0)),
        ms(percentile(&all, 99.0)),
        ms(all.last().copied().unwrap_or_default())
    );
    let early = shared.lock().unwrap_or_else(PoisonError::into_inner).early;
    if early > 0 {
        println!("({early} door updates arrived before their ban's 201 was read; counted as 0)");
    }
    let p99 = percentile(&all, 99.0);
    println!(
        "p99 {} target <= 3000 ms: {}",
        ms(p99),
        if p99 <= Duration::from_secs(3) && all.len() == c.doors * c.bans {
            "met"
        } else {
            "NOT met"
        }
    );
    for f in &followers {
        f.abort();
    }
    Ok(())
}
