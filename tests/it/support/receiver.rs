//! A real HTTP receiver on 127.0.0.1:0 that records every request and answers with a status
//! the test chooses (svix's `TestReceiver`). Delivery tests point endpoints at `url()`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::wait::wait_until;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    /// Path and query.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("received body is JSON")
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Received>>,
    status: Mutex<u16>,
}

pub struct Receiver {
    url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver answering every request with `status`.
    pub async fn start(status: StatusCode) -> Receiver {
        let shared = Arc::new(Shared::default());
        *shared.status.lock().unwrap() = status.as_u16();
        let app = axum::Router::new()
            .fallback(record)
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver serves");
        });
        Receiver {
            url,
            shared,
            server,
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`; any path under it is accepted.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes the status answered from now on (e.g. fail first, then succeed).
    pub fn set_status(&self, status: StatusCode) {
        *self.shared.status.lock().unwrap() = status.as_u16();
    }

    /// Everything received so far, oldest first.
    pub fn requests(&self) -> Vec<Received> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived and returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        wait_until(
            timeout,
            &format!("the receiver got {n} request(s)"),
            || async {
                let all = self.requests();
                (all.len() >= n).then_some(all)
            },
        )
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    shared.requests.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body,
    });
    let status = *shared.status.lock().unwrap();
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
