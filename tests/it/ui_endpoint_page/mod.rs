//! The endpoint page (`/webhooks/{id}`): the disabled banner with re-enable, "send test event"
//! with its result inline, the delivery history (filters, keyset paging, live poll) and the
//! receiver snippets, which are run here as real receivers.
//!
//! One module per promise; the fixture and the HTML helpers they share live here.

mod history;
mod snippets;
mod status;
mod test_panel;
mod viewer;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ApiClient, Receiver, TestApp, TestClient, wait_until};

const WAIT: Duration = Duration::from_secs(10);

struct Fixture {
    app: TestApp,
    admin: TestClient,
    api: ApiClient,
    receiver: Receiver,
    id: String,
    secret: String,
}

/// An app with an admin, an API key, `invoice.paid` (with an example) and `order.created` in the
/// catalog, and one endpoint for every event pointing at a receiver answering 200, no retries.
async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

/// `fixture`, with `adjust` applied to the config.
async fn fixture_with(adjust: impl FnOnce(&mut hookd::Config)) -> Fixture {
    let app = TestApp::spawn_with(adjust).await;
    let admin = app.setup_admin().await;
    let key = app.create_api_key(&admin, &["all"]).await;
    let api = app.api(&key);
    api.post(
        "/api/v1/event-types",
        &json!({"name": "invoice.paid", "description": "Paid", "example": {"invoice": "inv_1", "amount": 1200}}),
        StatusCode::CREATED,
    )
    .await;
    api.post(
        "/api/v1/event-types",
        &json!({"name": "order.created", "description": "Ordered"}),
        StatusCode::CREATED,
    )
    .await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let wh = api
        .post(
            "/api/v1/webhooks",
            &json!({"url": format!("{}/in", receiver.url()), "events": ["*"], "retry_count": 0}),
            StatusCode::CREATED,
        )
        .await;
    Fixture {
        id: wh["id"].as_str().unwrap().to_owned(),
        secret: wh["secret"].as_str().unwrap().to_owned(),
        app,
        admin,
        api,
        receiver,
    }
}

impl Fixture {
    async fn ingest(&self, event_type: &str) -> String {
        let ack = self
            .api
            .post(
                "/api/v1/events",
                &json!({"type": event_type, "data": {"n": 1}}),
                StatusCode::ACCEPTED,
            )
            .await;
        ack["id"].as_str().unwrap().to_owned()
    }

    /// Waits until none of the endpoint's deliveries is pending; returns them (newest first).
    async fn settled(&self, n: usize) -> Vec<Value> {
        wait_until(WAIT, &format!("{n} deliveries settled"), || async {
            let page = self
                .api
                .get(
                    &format!("/api/v1/webhooks/{}/deliveries?limit=100", self.id),
                    StatusCode::OK,
                )
                .await;
            let rows = page["data"].as_array().unwrap().clone();
            (rows.len() == n && rows.iter().all(|d| d["status"] != "pending")).then_some(rows)
        })
        .await
    }

    fn page_path(&self) -> String {
        format!("/webhooks/{}", self.id)
    }
}

/// HTML text back to plain text: askama escapes `& < > " '` as named or numeric entities.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').expect("entities end with ;");
        let entity = &rest[1..end];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = entity.strip_prefix('#').expect("a known entity");
                let n = match code.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
                    None => code.parse().unwrap(),
                };
                char::from_u32(n).unwrap()
            }
        };
        out.push(ch);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Delivery ids of the history rows, in page order.
fn row_ids(body: &str) -> Vec<String> {
    body.split(r#"<tr id="row-"#)
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].to_owned())
        .collect()
}
