//! End-to-end delivery benchmark: the real release binary, a temp data dir and a local
//! receiver, driven over loopback. Run with `cargo bench --bench delivery` (add `-- a`, `b` or
//! `c` to run one workload). Prints ingest events/s, deliveries/s, ingest→receipt latency
//! p50/p99, peak RSS, and lost / duplicated deliveries. Each run first measures the machine's
//! ceiling: the same receiver fed directly by an in-process sender (no hookd), with the same
//! bodies and concurrency; hookd's deliveries/s is also given as a share of it. `-- d` is a steady 2,000 events/s; `-- curve` runs
//! 1, 10, 100 and 1,000 endpoints per event; `-- fair` measures tenant fairness. hookd runs with
//! its default durability unless `HOOKD_DURABILITY` says otherwise; the run prints which.

mod support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::pct;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::json;
use tokio::net::TcpListener;

const CONCURRENCY: usize = 64;

#[derive(Default)]
struct Seen {
    /// (endpoint path, webhook-id) → times received
    counts: HashMap<(String, String), u32>,
    latencies_us: Vec<u64>,
    total: u64,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

struct Hookd {
    child: Child,
    url: String,
    key: String,
    _dir: tempfile::TempDir,
}

impl Drop for Hookd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// The child is reaped in `Hookd::drop`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
async fn start_hookd() -> Hookd {
    let bin = env!("CARGO_BIN_EXE_hookd");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let out = Command::new(bin)
        .args(["--data-dir", &data, "api-key", "create", "--name", "bench"])
        .output()
        .expect("hookd api-key create");
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let child = Command::new(bin)
        .args([
            "--data-dir",
            &data,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--allow-http-targets",
            "--allow-private-targets",
        ])
        .args([
            "--delivery-concurrency",
            "128",
            "--endpoint-concurrency",
            "64",
            "--log-level",
            "warn",
        ])
        .stdout(Stdio::null())
        // Warnings and errors go to a file to read after a run.
        .stderr(
            std::fs::File::create(std::env::temp_dir().join("hookd-bench.log"))
                .map(Stdio::from)
                .unwrap_or(Stdio::null()),
        )
        .spawn()
        .expect("start hookd");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Hookd {
                child,
                url,
                key,
                _dir: dir,
            };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("hookd did not start");
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let ticks: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    // Linux reports these in USER_HZ, 100 per second on every platform it runs on here.
    ticks.iter().sum::<f64>() / 100.0
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

async fn start_receiver(seen: Arc<Mutex<Seen>>) -> String {
    start_receiver_with_delay(seen, Duration::ZERO).await
}

/// A receiver that answers each request after `delay` (a slow customer endpoint).
async fn start_receiver_with_delay(seen: Arc<Mutex<Seen>>, delay: Duration) -> String {
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let at = now_us();
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let sent = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["data"]["sent_us"].as_u64())
                    .unwrap_or(at);
                let mut s = seen.lock().unwrap();
                *s.counts.entry((uri.path().to_owned(), id)).or_default() += 1;
                s.latencies_us.push(at.saturating_sub(sent));
                s.total += 1;
                "ok"
            }
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn setup(h: &Hookd, receiver: &str, endpoints: usize) {
    let c = reqwest::Client::new();
    let auth = format!("Bearer {}", h.key);
    let r = c
        .post(format!("{}/api/v1/event-types", h.url))
        .header("authorization", &auth)
        .json(&json!({"name": "bench.event"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "event type: {}", r.status());
    for i in 0..endpoints {
        let r = c
            .post(format!("{}/api/v1/webhooks", h.url))
            .header("authorization", &auth)
            .json(&json!({"url": format!("{receiver}/ep{i}"), "events": ["*"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

/// Sends `events` events with `CONCURRENCY` workers, or paced at `rate` events/s.
async fn ingest(h: &Hookd, events: usize, rate: Option<u64>) -> Duration {
    ingest_for((&h.url, &h.key), None, events, rate).await
}

/// `ingest` to the hookd at `(url, key)`, for `tenant`'s endpoints when given.
async fn ingest_for(
    (url, key): (&str, &str),
    tenant: Option<&str>,
    events: usize,
    rate: Option<u64>,
) -> Duration {
    let tenant = tenant.map(str::to_owned);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = vec![];
    for _ in 0..CONCURRENCY {
        let (client, next, url, auth, tenant) = (
            client.clone(),
            next.clone(),
            format!("{url}/api/v1/events"),
            format!("Bearer {key}"),
            tenant.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= events {
                    break;
                }
                if let Some(rate) = rate {
                    let due = start + Duration::from_micros(i as u64 * 1_000_000 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let mut body =
                    json!({"type": "bench.event", "data": {"n": i, "sent_us": now_us()}});
                if let Some(t) = &tenant {
                    body["tenant"] = json!(t);
                }
                let r = client
                    .post(&url)
                    .header("authorization", &auth)
                    .json(&body)
                    .send()
                    .await
                    .expect("ingest");
                assert_eq!(r.status(), 202, "ingest answered {}", r.status());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// Deliveries/s the receiver takes from a direct sender: `CONCURRENCY` workers posting the
/// body hookd would send, round-robin over the endpoints' paths, over kept-alive connections.
async fn ceiling(total: usize, endpoints: usize) -> f64 {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let receiver = start_receiver(seen).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = vec![];
    for _ in 0..CONCURRENCY {
        let (client, next, receiver) = (client.clone(), next.clone(), receiver.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let body = json!({
                    "id": format!("evt_{i:026}"), "type": "bench.event",
                    "timestamp": "2026-12-01T00:00:00.000Z",
                    "data": {"n": i, "sent_us": now_us()},
                });
                let r = client
                    .post(format!("{receiver}/ep{}", i % endpoints))
                    .header("webhook-id", format!("evt_{i:026}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("direct send");
                assert!(r.status().is_success());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn workload(name: &str, events: usize, endpoints: usize, rate: Option<u64>) {
    let ceiling = ceiling(events * endpoints, endpoints).await;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let receiver = start_receiver(seen.clone()).await;
    let h = start_hookd().await;
    setup(&h, &receiver, endpoints).await;
    let expected = (events * endpoints) as u64;
    let start = Instant::now();
    let ingest_time = ingest(&h, events, rate).await;
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen.lock().unwrap().total < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all_time = start.elapsed();
    // Give stragglers (duplicates) a moment to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = seen.lock().unwrap();
    let unique = s.counts.len() as u64;
    let dups: u64 = s
        .counts
        .values()
        .map(|&c| u64::from(c.saturating_sub(1)))
        .sum();
    let mut lat = s.latencies_us.clone();
    lat.sort_unstable();
    println!(
        "{name}: {events} events x {endpoints} endpoint(s){}\n  ingest: {:.0} events/s ({:.2} s)\n  deliveries: {:.0} /s ({} in {:.2} s; {:.0} % of the ceiling, {:.0} /s direct)\n  latency ingest->receipt: p50 {:.1} ms, p99 {:.1} ms\n  hookd CPU: {:.1} µs per delivery ({:.1} s)\n  peak RSS: {:.1} MB\n  lost: {}, duplicated: {}",
        rate.map(|r| format!(" at {r} events/s"))
            .unwrap_or_default(),
        events as f64 / ingest_time.as_secs_f64(),
        ingest_time.as_secs_f64(),
        expected as f64 / all_time.as_secs_f64(),
        s.total,
        all_time.as_secs_f64(),
        100.0 * expected as f64 / all_time.as_secs_f64() / ceiling,
        ceiling,
        pct(&lat, 0.50),
        pct(&lat, 0.99),
        cpu_seconds(h.child.id()) * 1e6 / expected as f64,
        cpu_seconds(h.child.id()),
        peak_rss_mb(h.child.id()),
        expected.saturating_sub(unique),
        dups,
    );
}

/// Creates tenant `uid` with `endpoints` endpoints at `receiver`/`uid`N.
async fn tenant_with_endpoints(h: &Hookd, uid: &str, receiver: &str, endpoints: usize) {
    let c = reqwest::Client::new();
    let auth = format!("Bearer {}", h.key);
    let r = c
        .post(format!("{}/api/v1/tenants", h.url))
        .header("authorization", &auth)
        .json(&json!({"uid": uid}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "tenant");
    for i in 0..endpoints {
        let r = c
            .post(format!("{}/api/v1/webhooks", h.url))
            .header("authorization", &auth)
            .json(&json!({"url": format!("{receiver}/{uid}{i}"), "events": ["*"], "tenant": uid}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

/// Tenant fairness: tenant B sends 20 events/s to one fast endpoint, alone and then while
/// tenant A floods ten slow endpoints (each answering after 200 ms, so A's work holds every
/// delivery slot it is allowed). Prints B's ingest→receipt latency in both runs.
async fn fairness() {
    const B_EVENTS: usize = 200;
    const B_RATE: u64 = 20;
    let mut results = vec![];
    for flood in [false, true] {
        let slow = Arc::new(Mutex::new(Seen::default()));
        let fast = Arc::new(Mutex::new(Seen::default()));
        let slow_rx = start_receiver_with_delay(slow.clone(), Duration::from_millis(200)).await;
        let fast_rx = start_receiver(fast.clone()).await;
        let h = start_hookd().await;
        setup(&h, &fast_rx, 0).await;
        tenant_with_endpoints(&h, "a", &slow_rx, 10).await;
        tenant_with_endpoints(&h, "b", &fast_rx, 1).await;
        let flooding = flood.then(|| {
            let (url, key) = (h.url.clone(), h.key.clone());
            tokio::spawn(async move { ingest_for((&url, &key), Some("a"), 20_000, None).await })
        });
        if flood {
            // Let A's backlog build up first.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        ingest_for((&h.url, &h.key), Some("b"), B_EVENTS, Some(B_RATE)).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while fast.lock().unwrap().total < B_EVENTS as u64 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let a_done = slow.lock().unwrap().total;
        let mut lat = fast.lock().unwrap().latencies_us.clone();
        lat.sort_unstable();
        results.push((flood, pct(&lat, 0.50), pct(&lat, 0.99), lat.len(), a_done));
        if let Some(f) = flooding {
            f.abort();
        }
    }
    println!(
        "(fair): tenant B, {B_EVENTS} events at {B_RATE}/s to 1 endpoint; tenant A floods 10 endpoints answering in 200 ms"
    );
    for (flood, p50, p99, got, a_done) in results {
        println!(
            "  {}: B latency p50 {p50:.1} ms, p99 {p99:.1} ms ({got}/{B_EVENTS} received; A deliveries meanwhile: {a_done})",
            if flood {
                "with A's flood"
            } else {
                "B alone      "
            },
        );
    }
}

#[tokio::main]
async fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |w: &str| only.is_empty() || only.iter().any(|o| o == w);
    println!(
        "durability: {}",
        std::env::var("HOOKD_DURABILITY").unwrap_or_else(|_| "full (the default)".into())
    );
    if run("a") {
        workload("(a)", 20_000, 1, None).await;
    }
    if run("b") {
        workload("(b)", 5_000, 10, None).await;
    }
    if run("c") {
        workload("(c)", 10_000, 1, Some(1_000)).await;
    }
    if run("d") {
        workload("(d)", 20_000, 1, Some(2_000)).await;
    }
    if run("fair") {
        fairness().await;
    }
    if run("curve") {
        // How cost grows with the fan-out: about 40,000 deliveries each.
        for endpoints in [1, 10, 100, 1000] {
            workload(
                &format!("(curve {endpoints})"),
                40_000 / endpoints,
                endpoints,
                None,
            )
            .await;
        }
    }
}
