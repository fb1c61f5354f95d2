//! Attempt rules and retries: 2xx succeeds, everything else is recorded and retried on the
//! (test-shortened) schedule or `Retry-After`, until `failed`; retries by hand; and test sends.
//! One module per promise, with the helpers they share here.

mod endpoint_deliveries;
mod manual_retry;
mod outcomes;
mod schedule;
mod test_sends;

use serde_json::json;

use crate::delivery_kit::Env;

/// An app with one event type and one endpoint at `url`; returns the env and the endpoint id.
async fn one_endpoint(url: &str, extra: serde_json::Value) -> (Env, String) {
    let env = Env::start(|_| {}).await;
    env.event_type("thing.happened").await;
    let mut body = json!({"url": url, "events": ["thing.happened"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let wh = env.webhook(body).await;
    let id = wh["id"].as_str().unwrap().to_owned();
    (env, id)
}

/// Sends one event and returns (event id, its one delivery id).
async fn send_one(env: &Env) -> (String, String) {
    let ack = env.send("thing.happened", json!({"k": "v"})).await;
    let event = ack["id"].as_str().unwrap().to_owned();
    let dlv = env.only_delivery_id(&event).await;
    (event, dlv)
}

fn time_of(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}
