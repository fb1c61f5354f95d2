//! What the delivery-engine tests share: an app with an `all` API key and a fast retry schedule
//! (`Env`), and a scriptable receiver (`Hook`) that can fail, delay, redirect or answer with
//! `Retry-After`, recording when each request arrived.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use hookd::Config;
use hookd::delivery::schedule::RetrySchedule;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support::{ApiClient, TestApp, wait_until};

/// Generous upper bound for things that should happen in well under a second.
pub const SOON: Duration = Duration::from_secs(10);

/// Short retries so retry tests take milliseconds, not minutes.
pub fn fast_retries(cfg: &mut Config) {
    cfg.retry_schedule = RetrySchedule::parse("100ms,200ms").unwrap();
}

/// A running app, with an API key allowed everything.
pub struct Env {
    pub app: TestApp,
    pub api: ApiClient,
    pub key: String,
}

impl Env {
    /// The app with fast retries, then `adjust`.
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> Env {
        Env::start_in(tempfile::tempdir().expect("temp data dir"), adjust).await
    }

    /// Like `start`, on a data dir the test chose (e.g. on a small filesystem).
    pub async fn start_in(data: TempDir, adjust: impl FnOnce(&mut Config)) -> Env {
        let app = TestApp::spawn_in(data, |cfg| {
            fast_retries(cfg);
            adjust(cfg);
        })
        .await;
        let admin = app.setup_admin().await;
        let key = app.create_api_key(&admin, &["all"]).await;
        let api = app.api(&key);
        Env { app, api, key }
    }

    /// Starts the app again on the data dir of a stopped one (the API key stays valid).
    pub async fn restart(data: TempDir, key: String, adjust: impl FnOnce(&mut Config)) -> Env {
        let app = TestApp::spawn_in(data, |cfg| {
            fast_retries(cfg);
            adjust(cfg);
        })
        .await;
        let api = app.api(&key);
        Env { app, api, key }
    }

    pub async fn event_type(&self, name: &str) {
        self.api
            .post(
                "/api/v1/event-types",
                &json!({ "name": name }),
                StatusCode::CREATED,
            )
            .await;
    }

    /// Creates an endpoint from `body` (url and events at least); returns it with its `secret`.
    pub async fn webhook(&self, body: Value) -> Value {
        self.api
            .post("/api/v1/webhooks", &body, StatusCode::CREATED)
            .await
    }

    /// Sends an event; asserts 202 and returns the acknowledgement.
    pub async fn send(&self, event_type: &str, data: Value) -> Value {
        self.send_body(json!({ "type": event_type, "data": data }))
            .await
    }

    pub async fn send_body(&self, body: Value) -> Value {
        self.api
            .post("/api/v1/events", &body, StatusCode::ACCEPTED)
            .await
    }

    pub async fn event(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/events/{id}"), StatusCode::OK)
            .await
    }

    pub async fn delivery(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/deliveries/{id}"), StatusCode::OK)
            .await
    }

    pub async fn endpoint(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
            .await
    }

    /// The ids of the deliveries an event fanned out to.
    pub async fn delivery_ids(&self, event_id: &str) -> Vec<String> {
        self.event(event_id).await["deliveries"]
            .as_array()
            .expect("event has deliveries")
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The one delivery of an event that fanned out to exactly one endpoint.
    pub async fn only_delivery_id(&self, event_id: &str) -> String {
        let ids = self.delivery_ids(event_id).await;
        assert_eq!(ids.len(), 1, "expected one delivery of {event_id}");
        ids[0].clone()
    }

    /// Polls the delivery until its status is `status`; returns it with its attempt log.
    pub async fn wait_status(&self, delivery_id: &str, status: &str) -> Value {
        wait_until(
            SOON,
            &format!("delivery {delivery_id} is {status}"),
            || async {
                let d = self.delivery(delivery_id).await;
                (d["status"] == status).then_some(d)
            },
        )
        .await
    }

    /// Polls the delivery until it has at least `n` recorded attempts.
    pub async fn wait_attempts(&self, delivery_id: &str, n: usize) -> Value {
        wait_until(
            SOON,
            &format!("delivery {delivery_id} has {n} attempt(s)"),
            || async {
                let d = self.delivery(delivery_id).await;
                (d["attempt_log"].as_array().map_or(0, Vec::len) >= n).then_some(d)
            },
        )
        .await
    }

    pub async fn metrics(&self) -> String {
        let resp = reqwest::get(format!("{}/metrics", self.app.url()))
            .await
            .expect("metrics answer");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }
}

/// The attempt log of a delivery.
pub fn attempts(delivery: &Value) -> &Vec<Value> {
    delivery["attempt_log"]
        .as_array()
        .unwrap_or_else(|| panic!("no attempt_log in {delivery}"))
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: String::new(),
            delay: Duration::ZERO,
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn body(mut self, body: &str) -> Reply {
        self.body = body.to_owned();
        self
    }
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

/// One request as the hook saw it, with its arrival time.
#[derive(Clone, Debug)]
pub struct Hit {
    pub at: Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("request has no {name} header: {:?}", self.headers))
            .to_str()
            .unwrap()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("body is UTF-8")
    }
}

struct HookState {
    hits: Mutex<Vec<Hit>>,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
}

/// A receiver answering from a script (then with a default reply), recording every request.
pub struct Hook {
    url: String,
    state: Arc<HookState>,
    server: JoinHandle<()>,
}

impl Hook {
    /// Answers `first` in order, then `then` for ever.
    pub async fn scripted(first: Vec<Reply>, then: Reply) -> Hook {
        let state = Arc::new(HookState {
            hits: Mutex::new(vec![]),
            script: Mutex::new(first.into()),
            default: Mutex::new(then),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind hook");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("hook serves");
        });
        Hook { url, state, server }
    }

    /// Always answers `reply`.
    pub async fn always(reply: Reply) -> Hook {
        Hook::scripted(vec![], reply).await
    }

    /// Always 200.
    pub async fn ok() -> Hook {
        Hook::always(Reply::status(200)).await
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn set_default(&self, reply: Reply) {
        *self.state.default.lock().unwrap() = reply;
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        wait_until(SOON, &format!("the hook got {n} request(s)"), || async {
            let all = self.hits();
            (all.len() >= n).then_some(all)
        })
        .await
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    State(state): State<Arc<HookState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.hits.lock().unwrap().push(Hit {
        at: Instant::now(),
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let reply = {
        let next = state.script.lock().unwrap().pop_front();
        next.unwrap_or_else(|| state.default.lock().unwrap().clone())
    };
    // The receiver is slow on purpose (a hanging endpoint): what the test simulates, not a wait.
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut resp = (
        StatusCode::from_u16(reply.status).unwrap(),
        reply.body.clone(),
    )
        .into_response();
    for (name, value) in &reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    resp
}

/// A local port that is free now, for a server under test to listen on. Once this returns,
/// anyone may take it (another test's receiver, say), so it is no port that refuses
/// connections: that is `refusing_port`.
pub async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// A local port that refuses connections for as long as the returned socket lives: bound, so
/// no other test's server can take it, but not listening.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().unwrap())
        .expect("bind a port");
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}
