//! Dashboard pages for endpoints and the event-type catalog: forms carry the API's field names,
//! the signing secret is shown once in the create (or rotate) response and masked afterwards,
//! viewers read everything but secrets and change nothing.
//!
//! One module per promise; the form helpers they share live here.

mod catalog;
mod create;
mod list;
mod manage;
mod viewer;

use reqwest::StatusCode;

use crate::support::{TestClient, html};

const TARGET: &str = "http://127.0.0.1:9/hook";

async fn add_event_type(admin: &TestClient, name: &str) {
    let resp = admin
        .submit(
            "/event-types",
            &[("name", name), ("description", "Sent when it happens")],
            StatusCode::SEE_OTHER,
        )
        .await;
    assert_eq!(resp.location(), "/event-types");
}

fn revealed_secret(body: &str) -> String {
    html::between(body, r#"id="new-secret">"#, "<")
        .unwrap_or_else(|| panic!("no revealed secret in page:\n{body}"))
        .trim()
        .to_owned()
}

fn endpoint_id(body: &str) -> String {
    html::between(body, r#"href="/webhooks/"#, r#"/edit""#)
        .unwrap_or_else(|| panic!("no edit link in page:\n{body}"))
        .to_owned()
}

/// Creates an endpoint for `invoice.paid` through the form; returns (id, secret).
async fn create_endpoint(admin: &TestClient, name: &str) -> (String, String) {
    add_event_type(admin, "invoice.paid").await;
    let page = admin
        .submit(
            "/webhooks",
            &[
                ("name", name),
                ("url", TARGET),
                ("events", "invoice.paid"),
                ("retry_count", "4"),
                ("timeout_seconds", "10"),
                ("tls_verify", "true"),
                ("enabled", "true"),
            ],
            StatusCode::OK,
        )
        .await;
    (endpoint_id(&page.body), revealed_secret(&page.body))
}
