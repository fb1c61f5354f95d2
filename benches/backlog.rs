//! Backlog benchmark: an endpoint that was down comes back to 1,000,000 pending deliveries.
//! Seeds a data dir through hookd's own storage code (the pending rows are due now), starts the
//! release binary on it with a local receiver, and while the backlog drains prints, every five
//! seconds, the drain rate and hookd's resident memory; meanwhile it sends 100 events/s to a
//! healthy endpoint (ingest→receipt p50/p99) and times the dashboard pages an operator opens.
//!
//!   cargo bench --bench backlog                        # 1,000,000 pending deliveries
//!   cargo bench --bench backlog -- --deliveries 200000

mod support;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{EMAIL, PASSWORD, pct, sign_in};

use axum::body::Bytes;
use hookd::deliveries::{self, NewDelivery};
use hookd::endpoints::{self, EndpointSpec};
use hookd::event_types::{self, NewEventType};
use hookd::events::{self, NewEvent};
use hookd::ids::{DeliveryId, EventId};
use hookd::timestamp::Timestamp;
use hookd::users::{self, Role};
use hookd::{crypto, db};
use serde_json::json;
use serde_json::value::RawValue;
use tokio::net::TcpListener;

const BATCH: usize = 10_000;
const HEALTHY_RATE: u64 = 100;

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

#[derive(Default)]
struct Counts {
    backlog: AtomicU64,
    healthy: Mutex<Vec<u64>>,
}

/// `/backlog` counts, `/healthy` records ingest→receipt latency.
async fn receiver(counts: Arc<Counts>) -> String {
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: Bytes| {
        let counts = counts.clone();
        async move {
            if uri.path() == "/healthy" {
                let at = now_us();
                let sent = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["data"]["sent_us"].as_u64())
                    .unwrap_or(at);
                counts.healthy.lock().unwrap().push(at.saturating_sub(sent));
            } else {
                counts.backlog.fetch_add(1, Ordering::Relaxed);
            }
            "ok"
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn spec(url: String, events: &str, name: &str) -> EndpointSpec {
    EndpointSpec {
        url,
        events: vec![events.to_owned()],
        name: name.to_owned(),
        description: String::new(),
        enabled: true,
        headers: Default::default(),
        retry_count: 4,
        timeout_seconds: 10,
        channels: None,
        tls_verify: true,
    }
}

/// One admin, two event types, the recovering endpoint with `n` deliveries due now, and a
/// healthy endpoint with none.
async fn seed(dir: &std::path::Path, receiver: &str, n: usize) {
    let started = Instant::now();
    let db = db::open(dir).await.expect("open the database");
    let keyring = crypto::Keyring::load_or_create(dir, None).expect("key file");
    users::create(&db, EMAIL, PASSWORD, Role::Admin)
        .await
        .expect("admin");
    for name in ["backlog.event", "healthy.event"] {
        event_types::create(
            &db,
            NewEventType {
                name: name.to_owned(),
                description: String::new(),
                example: None,
            },
        )
        .await
        .expect("event type");
    }
    let spec_b = spec(format!("{receiver}/backlog"), "backlog.event", "Came back");
    let (recovering, _) = endpoints::create(&db, &keyring, None, spec_b, None)
        .await
        .expect("endpoint");
    let spec_h = spec(format!("{receiver}/healthy"), "healthy.event", "Healthy");
    endpoints::create(&db, &keyring, None, spec_h, None)
        .await
        .expect("endpoint");
    let mut done = 0;
    while done < n {
        let now = Timestamp::now();
        let mut tx = db.begin().await.expect("begin");
        let events: Vec<NewEvent> = (done..(done + BATCH).min(n))
            .map(|i| NewEvent {
                id: EventId::generate(),
                tenant: None,
                event_type: "backlog.event".to_owned(),
                data: RawValue::from_string(format!(r#"{{"n":{i}}}"#)).unwrap(),
                channels: vec![],
                idempotency_key: None,
                created_at: now,
            })
            .collect();
        let rows: Vec<NewDelivery> = events
            .iter()
            .map(|e| NewDelivery {
                id: DeliveryId::generate(),
                event_id: e.id.clone(),
                endpoint_id: recovering.id.clone(),
                tenant: None,
                event_type: e.event_type.clone(),
                claimed: false,
            })
            .collect();
        events::insert_many(&mut tx, &events).await.expect("events");
        deliveries::insert_pending(&mut tx, &rows, now)
            .await
            .expect("deliveries");
        tx.commit().await.expect("commit");
        done += events.len();
    }
    if std::env::var_os("BACKLOG_ANALYZE").is_some() {
        sqlx::query("analyze").execute(&db).await.expect("analyze");
    }
    db.close().await;
    eprintln!("seeded {n} pending deliveries in {:.0?}", started.elapsed());
}

struct Hookd {
    child: Child,
    url: String,
    key: String,
}

impl Drop for Hookd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is reaped in `Hookd::drop`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
async fn start_hookd(dir: &std::path::Path) -> Hookd {
    let bin = env!("CARGO_BIN_EXE_hookd");
    let data = dir.to_str().unwrap();
    let out = Command::new(bin)
        .args(["--data-dir", data, "api-key", "create", "--name", "bench"])
        .output()
        .expect("hookd api-key create");
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args(["--data-dir", data, "--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--allow-http-targets",
            "--allow-private-targets",
            "--log-level",
            "warn",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("start hookd");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        if reqwest::get(format!("{url}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Hookd { child, url, key };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("hookd did not start");
}

fn rss_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let mut n = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--deliveries" {
            n = args
                .next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .expect("--deliveries N");
        }
    }
    let counts = Arc::new(Counts::default());
    let receiver = receiver(counts.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &receiver, n).await;
    let h = start_hookd(dir.path()).await;
    let started = Instant::now();
    let pid = h.child.id();

    // 100 events/s to the healthy endpoint for as long as the backlog drains.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = {
        let (url, key, stop) = (h.url.clone(), h.key.clone(), stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / HEALTHY_RATE));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let body = json!({"type": "healthy.event", "data": {"sent_us": now_us()}});
                let client = client.clone();
                let (url, key) = (url.clone(), key.clone());
                tokio::spawn(async move {
                    let r = client
                        .post(format!("{url}/api/v1/events"))
                        .bearer_auth(key)
                        .json(&body)
                        .send()
                        .await
                        .expect("ingest");
                    assert_eq!(r.status(), 202);
                });
            }
        })
    };

    let dashboard = sign_in(&h.url).await;
    let endpoint_page = {
        let list = dashboard
            .get(format!("{}/webhooks", h.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let id = list
            .split("/webhooks/wh_")
            .nth(1)
            .map(|s| format!("wh_{}", &s[..32]))
            .expect("an endpoint link");
        format!("/webhooks/{id}")
    };
    let pages = [
        ("overview", "/".to_owned()),
        ("endpoint page", endpoint_page.clone()),
        (
            "its delivery history",
            format!("{endpoint_page}/deliveries"),
        ),
        ("events log", "/events".to_owned()),
    ];
    let mut page_times: Vec<(String, Vec<f64>)> =
        pages.iter().map(|(n, _)| (n.to_string(), vec![])).collect();
    // A write outside the engine (an API edit) waits its turn at SQLite's write lock.
    let api = reqwest::Client::new();
    let mut edit_times = vec![];

    println!("backlog: {n} deliveries due at once to one endpoint; 100 events/s to another");
    let mut last = 0;
    let mut peak_rss = 0.0f64;
    let deadline = Instant::now() + Duration::from_secs(900);
    let mut rates = vec![];
    while counts.backlog.load(Ordering::Relaxed) < n as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let now = counts.backlog.load(Ordering::Relaxed);
        let rate = (now - last) as f64 / 5.0;
        rates.push(rate);
        last = now;
        let rss = rss_mb(pid, "VmRSS:");
        peak_rss = peak_rss.max(rss);
        println!(
            "  t={:>4.0}s drained {now:>8} ({rate:>6.0}/s)  RSS {rss:>5.1} MB",
            started.elapsed().as_secs_f64()
        );
        for ((_, path), (_, times)) in pages.iter().zip(page_times.iter_mut()) {
            let t = Instant::now();
            let r = dashboard
                .get(format!("{}{path}", h.url))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.bytes().await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let t = Instant::now();
        let r = api
            .post(format!("{}/api/v1/event-types", h.url))
            .bearer_auth(&h.key)
            .json(&json!({"name": format!("edit.at.{}", edit_times.len())}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "an API edit during the drain");
        edit_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    stop.store(true, Ordering::Relaxed);
    sender.await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat = counts.healthy.lock().unwrap().clone();
    lat.sort_unstable();
    let steady: Vec<f64> = rates
        .iter()
        .copied()
        .filter(|r| *r > 0.0)
        .collect::<Vec<_>>();
    let (lo, hi) = steady
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    println!(
        "  drained {} of {n} in {elapsed:.0} s: {:.0}/s on average, 5-s intervals between {lo:.0} and {hi:.0}/s",
        counts.backlog.load(Ordering::Relaxed),
        counts.backlog.load(Ordering::Relaxed) as f64 / elapsed
    );
    println!(
        "  peak RSS {peak_rss:.1} MB (VmHWM {:.1} MB)",
        rss_mb(pid, "VmHWM:")
    );
    println!(
        "  healthy endpoint meanwhile: {} deliveries, ingest->receipt p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    page_times.push(("API edit (write)".to_owned(), edit_times));
    for (name, mut times) in page_times {
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        let worst = times.last().copied().unwrap_or(f64::NAN);
        println!("  dashboard {name:<22} median {median:>6.1} ms, worst {worst:>6.1} ms");
    }
}
