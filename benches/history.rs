//! Dashboard benchmark on a large history. Seeds a data dir with N deliveries (default
//! 1,000,000) through hookd's own storage code (the same functions the delivery engine uses),
//! starts the real release binary on it, signs in and times the pages an operator opens: an
//! endpoint's delivery history (first page and a deep page, with and without filters), the
//! endpoint page, the overview and the events log.
//!
//!   cargo bench --bench history                          # seed a temp dir, measure, delete it
//!   cargo bench --bench history -- --deliveries 200000
//!   cargo bench --bench history -- --keep /tmp/hookd-1m  # seed once, reuse on later runs
//!
//! Times are measured by the client over loopback (so they include a little HTTP overhead on
//! top of the server's render time): median and p95 of 25 requests after 5 warm-ups.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{EMAIL, PASSWORD, sign_in};

use hookd::deliveries::{self, NewAttempt, NewDelivery, Next, Outcome};
use hookd::endpoints::{self, EndpointSpec};
use hookd::event_types::{self, NewEventType};
use hookd::events::{self, NewEvent};
use hookd::ids::{DeliveryId, EndpointId, EventId};
use hookd::timestamp::Timestamp;
use hookd::users::{self, Role};
use hookd::{crypto, db};
use serde_json::value::RawValue;

const TYPES: [&str; 5] = [
    "order.created",
    "order.paid",
    "order.shipped",
    "customer.updated",
    "invoice.failed",
];
const BATCH: usize = 5_000;
const WARMUP: usize = 5;
const RUNS: usize = 25;

struct Args {
    deliveries: usize,
    keep: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        deliveries: 1_000_000,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--deliveries" => {
                a.deliveries = it
                    .next()
                    .and_then(|n| n.replace('_', "").parse().ok())
                    .expect("--deliveries N")
            }
            "--keep" => a.keep = Some(PathBuf::from(it.next().expect("--keep DIR"))),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// Seeds `dir` with one admin, the event types and one endpoint with `n` deliveries spread
/// over the last 30 days: 90 % succeeded, 8 % failed after 3 attempts, 2 % pending with a
/// retry far away (so the running binary sends nothing). Returns the endpoint.
async fn seed(dir: &Path, n: usize) -> EndpointId {
    let started = Instant::now();
    let db = db::open(dir).await.expect("open the database");
    db::migrate(&db).await.expect("migrate");
    let keyring = crypto::Keyring::load_or_create(dir, None).expect("key file");
    users::create(&db, EMAIL, PASSWORD, Role::Admin)
        .await
        .expect("admin");
    for t in TYPES {
        event_types::create(
            &db,
            NewEventType {
                name: t.to_owned(),
                description: String::new(),
                example: None,
            },
        )
        .await
        .expect("event type");
    }
    let spec = EndpointSpec {
        url: "http://127.0.0.1:9/hooks".to_owned(),
        events: vec!["*".to_owned()],
        name: "Bench receiver".to_owned(),
        description: String::new(),
        enabled: true,
        headers: Default::default(),
        retry_count: 4,
        timeout_seconds: 10,
        channels: None,
        tls_verify: true,
    };
    let (endpoint, _) = endpoints::create(&db, &keyring, None, spec, None)
        .await
        .expect("endpoint");
    let wh = endpoint.id;
    let now = Timestamp::now();
    let span = Duration::from_secs(30 * 24 * 3600);
    let start = now.minus(span);
    let step_ms = span.as_millis() as f64 / n as f64;
    let mut done = 0;
    while done < n {
        let mut tx = db.begin().await.expect("begin");
        let mut outcomes = Vec::with_capacity(BATCH);
        let mut t = start;
        for i in done..(done + BATCH).min(n) {
            t = Timestamp::from_millis(start.millis() + (i as f64 * step_ms) as i64);
            let event = NewEvent {
                id: EventId::generate(),
                tenant: None,
                event_type: TYPES[(i * 7 + i / 3) % TYPES.len()].to_owned(),
                data: RawValue::from_string(format!(
                    r#"{{"order_id":"ord_{i}","amount":{},"currency":"EUR"}}"#,
                    i % 10_000
                ))
                .unwrap(),
                channels: vec![],
                idempotency_key: None,
                created_at: t,
            };
            events::insert(&mut tx, &event).await.expect("event");
            let delivery = NewDelivery {
                id: DeliveryId::generate(),
                event_id: event.id.clone(),
                endpoint_id: wh.clone(),
                tenant: None,
                event_type: event.event_type.clone(),
                claimed: false,
            };
            deliveries::insert_pending(&mut tx, std::slice::from_ref(&delivery), t)
                .await
                .expect("delivery");
            let (status, next) = match i % 100 {
                0..90 => (200, Next::Succeeded),
                90..98 => (500, Next::Failed),
                _ => (
                    503,
                    Next::RetryAt(now.plus(Duration::from_secs(7 * 24 * 3600))),
                ),
            };
            outcomes.push(Outcome {
                delivery_id: delivery.id,
                endpoint_id: wh.clone(),
                attempt: NewAttempt {
                    started_at: t,
                    duration_ms: 20 + (i % 180) as i64,
                    url: "http://127.0.0.1:9/hooks".to_owned(),
                    request_headers: [("content-type".to_owned(), "application/json".to_owned())]
                        .into(),
                    response_status: Some(status),
                    response_headers: Some(Default::default()),
                    response_body: Some(if status == 200 { "ok" } else { "error" }.to_owned()),
                    error: None,
                    error_kind: (status != 200).then_some("status"),
                    succeeded: status == 200,
                },
                next,
            });
        }
        deliveries::record(&mut tx, &outcomes, t)
            .await
            .expect("outcomes");
        tx.commit().await.expect("commit");
        done = (done + BATCH).min(n);
        if done % 100_000 == 0 || done == n {
            eprintln!("  seeded {done} deliveries ({:.0?})", started.elapsed());
        }
    }
    sqlx::query("analyze").execute(&db).await.expect("analyze");
    db.close().await;
    wh
}

/// Ids to start deep pages from: the delivery 90 % of the way down each listing.
async fn deep_cursors(dir: &Path, wh: &EndpointId) -> (String, String, String) {
    let db = db::open(dir).await.expect("open");
    let at = |sql: &'static str| {
        let db = db.clone();
        async move {
            let count: i64 = sqlx::query_scalar(&format!("select count(*) from ({sql})"))
                .bind(wh)
                .fetch_one(&db)
                .await
                .unwrap();
            sqlx::query_scalar::<_, String>(&format!(
                "select id from ({sql}) order by id desc limit 1 offset ?"
            ))
            .bind(wh)
            .bind(count * 9 / 10)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let all = at("select id from deliveries where endpoint_id = ?").await;
    let failed = at("select id from deliveries where endpoint_id = ? and status = 'failed'").await;
    let typed = at(
        "select d.id from deliveries d join events e on e.id = d.event_id
                    where d.endpoint_id = ? and e.type = 'order.paid'",
    )
    .await;
    db.close().await;
    (all, failed, typed)
}

async fn deep_event(dir: &Path) -> String {
    let db = db::open(dir).await.expect("open");
    let id = sqlx::query_scalar(
        "select id from events order by id desc limit 1 offset (select count(*) * 9 / 10 from events)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    db.close().await;
    id
}

struct Hookd {
    child: Child,
    url: String,
}

impl Drop for Hookd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is reaped in `Hookd::drop`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
async fn start_hookd(dir: &Path) -> Hookd {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_hookd"))
        .args(["--data-dir", dir.to_str().unwrap()])
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
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
            return Hookd { child, url };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("hookd did not start");
}

async fn time_page(client: &reqwest::Client, url: &str, name: &str, path: &str) {
    let mut times = Vec::with_capacity(RUNS);
    let mut bytes = 0;
    for run in 0..WARMUP + RUNS {
        let t = Instant::now();
        let resp = client.get(format!("{url}{path}")).send().await.unwrap();
        let status = resp.status();
        let body = resp.bytes().await.unwrap();
        let took = t.elapsed();
        assert!(status.is_success(), "{path}: {status}");
        bytes = body.len();
        if run >= WARMUP {
            times.push(took);
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {name:<38} median {:>7.2} ms   p95 {:>7.2} ms   {:>6.1} KB",
        ms(times[RUNS / 2]),
        ms(times[RUNS * 95 / 100]),
        bytes as f64 / 1024.0
    );
}

#[tokio::main]
async fn main() {
    let args = args();
    let temp = tempfile::tempdir().unwrap();
    let dir = args.keep.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("seeded-endpoint");
    let wh = match std::fs::read_to_string(&marker) {
        Ok(id) => {
            println!("reusing the data set in {}", dir.display());
            EndpointId::parse(id.trim()).expect("endpoint id in the marker file")
        }
        Err(_) => {
            println!(
                "seeding {} deliveries into {}",
                args.deliveries,
                dir.display()
            );
            let wh = seed(&dir, args.deliveries).await;
            std::fs::write(&marker, wh.to_string()).unwrap();
            wh
        }
    };
    let (deep, deep_failed, deep_typed) = deep_cursors(&dir, &wh).await;
    let deep_evt = deep_event(&dir).await;
    let size = std::fs::metadata(dir.join("hookd.db")).map_or(0, |m| m.len());
    println!("database: {:.0} MB", size as f64 / 1e6);

    let hookd = start_hookd(&dir).await;
    let client = sign_in(&hookd.url).await;
    let history = format!("/webhooks/{wh}/deliveries");
    println!("history of one endpoint ({history}):");
    for (name, path) in [
        ("first page", history.clone()),
        ("deep page (90 % down)", format!("{history}?before={deep}")),
        (
            "status=failed, first page",
            format!("{history}?status=failed"),
        ),
        (
            "status=failed, deep page",
            format!("{history}?status=failed&before={deep_failed}"),
        ),
        (
            "event_type=order.paid, first page",
            format!("{history}?event_type=order.paid"),
        ),
        (
            "event_type=order.paid, deep page",
            format!("{history}?event_type=order.paid&before={deep_typed}"),
        ),
    ] {
        time_page(&client, &hookd.url, name, &path).await;
    }
    println!("other pages:");
    for (name, path) in [
        ("endpoint page", format!("/webhooks/{wh}")),
        ("overview", "/".to_owned()),
        ("events log, first page", "/events".to_owned()),
        (
            "events log, deep page",
            format!("/events?before={deep_evt}"),
        ),
    ] {
        time_page(&client, &hookd.url, name, &path).await;
    }
}
