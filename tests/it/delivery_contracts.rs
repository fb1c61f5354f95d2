//! Matching an existing contract: under each profile of README's "Matching an existing
//! contract" (read from the README itself), the product's documented sample receiver accepts
//! hookd's real deliveries: events, test sends, test-url and retries. Each receiver is that
//! sample's logic reimplemented as written: which header, what prefix, what is hashed, how it
//! is compared, and which body field names the event.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, KeyInit, Mac};
use hookd::Config;
use hookd::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::delivery_kit::{Env, SOON, attempts, fast_retries};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, html, wait_until};

/// A sample receiver's verdict on one request: the event name it read, or why it refused.
type Verdict = Result<String, String>;
type Verify = fn(secret: &str, headers: &HeaderMap, body: &[u8]) -> Verdict;

/// One profile as README gives it: the TOML block and the endpoint fields (JSON block).
struct Profile {
    config: Config,
    endpoint: Value,
}

/// The first ```toml and ```json blocks under README's `### {heading}`.
fn readme_profile(heading: &str) -> Profile {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n### ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has no ### {heading}"));
    let block = |lang: &str| {
        let start = section
            .find(&format!("```{lang}\n"))
            .unwrap_or_else(|| panic!("no {lang} block under {heading}"))
            + lang.len()
            + 4;
        let len = section[start..].find("```").expect("closed block");
        section[start..start + len].to_owned()
    };
    let settings: Settings = toml::from_str(&block("toml")).expect("the TOML block parses");
    Profile {
        config: Config::from_settings(settings).expect("the profile is valid"),
        endpoint: serde_json::from_str(&block("json")).expect("the JSON block parses"),
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// `crypto.timingSafeEqual`: throws when the lengths differ, else compares in constant time.
fn timing_safe_equal(a: &[u8], b: &[u8]) -> Result<bool, String> {
    if a.len() != b.len() {
        return Err("timingSafeEqual: input buffers must have the same byte length".into());
    }
    Ok(a.ct_eq(b).into())
}

/// `hmac.compare_digest` on two strings: constant time, false on a length mismatch.
fn compare_digest(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("no {name} header"))
}

fn json_body(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))
}

fn event_name(event: &Value, field: &str) -> Verdict {
    event[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {field:?} in {event}"))
}

/// The proxy reseller: `signature = HMAC-SHA256(raw_request_body, webhook_secret)` compared
/// with `X-Webhook-Signature`; `X-Webhook-Event`, `User-Agent: PlainProxies-Webhook/1.0` and
/// `{"event", "timestamp", "data"}` as documented.
fn proxy_reseller(secret: &str, headers: &HeaderMap, body: &[u8]) -> Verdict {
    let expected = hex::encode(hmac_sha256(secret.as_bytes(), body));
    if !compare_digest(&expected, header(headers, "X-Webhook-Signature")?) {
        return Err("X-Webhook-Signature mismatch".into());
    }
    if header(headers, "User-Agent")? != "PlainProxies-Webhook/1.0" {
        return Err(format!("User-Agent {:?}", header(headers, "User-Agent")?));
    }
    if header(headers, "Content-Type")? != "application/json" {
        return Err("Content-Type is not application/json".into());
    }
    let event = json_body(body)?;
    let keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    if sorted != ["data", "event", "timestamp"] {
        return Err(format!("body keys {keys:?}"));
    }
    let name = event_name(&event, "event")?;
    if header(headers, "X-Webhook-Event")? != name {
        return Err("X-Webhook-Event differs from the body's event".into());
    }
    Ok(name)
}

/// The security platform: HMAC-SHA256 of the raw JSON payload keyed with the secret, compared
/// with `X-Authorization-HMAC-256`. Its body fields are not documented: hookd's defaults.
fn security_platform(secret: &str, headers: &HeaderMap, body: &[u8]) -> Verdict {
    let expected = hex::encode(hmac_sha256(secret.as_bytes(), body));
    if !compare_digest(&expected, header(headers, "X-Authorization-HMAC-256")?) {
        return Err("X-Authorization-HMAC-256 mismatch".into());
    }
    event_name(&json_body(body)?, "type")
}

/// The VPN product's Node.js sample: `signature.replace('sha256=', '')`, then
/// `timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(provided, 'hex'))`; the event is
/// `JSON.parse(payload).type`.
fn vpn_product(secret: &str, headers: &HeaderMap, body: &[u8]) -> Verdict {
    let expected = hmac_sha256(secret.as_bytes(), body);
    let provided = header(headers, "X-VPN-Signature")?.replacen("sha256=", "", 1);
    let provided = hex::decode(provided).map_err(|e| format!("X-VPN-Signature: {e}"))?;
    if !timing_safe_equal(&expected, &provided)? {
        return Err("X-VPN-Signature mismatch".into());
    }
    event_name(&json_body(body)?, "type")
}

/// The generic SaaS, both samples. Python: `compare_digest(signature, hexdigest(raw body))`.
/// Node.js: `timingSafeEqual(Buffer.from(signature), Buffer.from(hmac))` over
/// `JSON.stringify(req.body)`, the parsed body serialised again (in received key order; this
/// test build has serde_json's `preserve_order`, which keeps it). Both read `event.type`.
fn generic_saas(secret: &str, headers: &HeaderMap, body: &[u8]) -> Verdict {
    let signature = header(headers, "X-Webhook-Signature")?;
    let python = hex::encode(hmac_sha256(secret.as_bytes(), body));
    if !compare_digest(signature, &python) {
        return Err("Python sample: X-Webhook-Signature mismatch".into());
    }
    let event = json_body(body)?;
    let restringified = serde_json::to_string(&event).unwrap();
    let node = hex::encode(hmac_sha256(secret.as_bytes(), restringified.as_bytes()));
    if !timing_safe_equal(signature.as_bytes(), node.as_bytes())? {
        return Err(format!(
            "Node.js sample: JSON.stringify(body) signs differently: {restringified}"
        ));
    }
    for field in ["id", "created_at", "data"] {
        if event.get(field).is_none() {
            return Err(format!("no {field:?} in {event}"));
        }
    }
    event_name(&event, "type")
}

struct Sample {
    verify: Verify,
    secret: OnceLock<String>,
    /// Refuse this many requests with 500 before verifying (a flaky receiver).
    fail_first: Mutex<usize>,
    seen: Mutex<Vec<(HeaderMap, Bytes, Verdict)>>,
}

/// A receiver running a product's sample verification: 200 when it accepts, 401 when not.
struct SampleReceiver {
    url: String,
    state: Arc<Sample>,
    server: JoinHandle<()>,
}

impl SampleReceiver {
    async fn start(verify: Verify) -> SampleReceiver {
        let state = Arc::new(Sample {
            verify,
            secret: OnceLock::new(),
            fail_first: Mutex::new(0),
            seen: Mutex::new(vec![]),
        });
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        SampleReceiver { url, state, server }
    }

    /// Creates an endpoint for `user.created` at this receiver from `fields` and learns its
    /// secret; returns the endpoint id.
    async fn subscribe(&self, env: &Env, mut fields: Value) -> String {
        fields["url"] = json!(self.url);
        fields["events"] = json!(["user.created"]);
        let wh = env.webhook(fields).await;
        self.state
            .secret
            .set(wh["secret"].as_str().unwrap().to_owned())
            .unwrap();
        wh["id"].as_str().unwrap().to_owned()
    }

    /// Waits for the `n`th request and returns its verdict.
    async fn verdict(&self, n: usize) -> Verdict {
        wait_until(
            SOON,
            &format!("the sample receiver got {n} request(s)"),
            || async {
                let seen = self.state.seen.lock().unwrap();
                seen.get(n - 1).map(|(_, _, v)| v.clone())
            },
        )
        .await
    }
}

impl Drop for SampleReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(State(s): State<Arc<Sample>>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let flaky = {
        let mut left = s.fail_first.lock().unwrap();
        let flaky = *left > 0;
        *left = left.saturating_sub(1);
        flaky
    };
    let verdict = if flaky {
        Err("refused before verifying (flaky on purpose)".into())
    } else {
        let secret = s.secret.get().expect("the secret is known before sending");
        (s.verify)(secret, &headers, &body)
    };
    let status = match (&verdict, flaky) {
        (_, true) => AxumStatus::INTERNAL_SERVER_ERROR,
        (Ok(_), _) => AxumStatus::OK,
        (Err(_), _) => AxumStatus::UNAUTHORIZED,
    };
    s.seen.lock().unwrap().push((headers, body, verdict));
    status
}

/// The app under `profile`'s wire settings and retry schedule, an endpoint with its fields at
/// `receiver`; returns the env and the endpoint id.
async fn contract_env(profile: &Profile, receiver: &SampleReceiver) -> (Env, String) {
    let wire = profile.config.wire.clone();
    let schedule = profile.config.retry_schedule.clone();
    let env = Env::start(|cfg| {
        cfg.wire = wire;
        cfg.retry_schedule = schedule;
    })
    .await;
    env.event_type("user.created").await;
    let wh = receiver.subscribe(&env, profile.endpoint.clone()).await;
    (env, wh)
}

/// An event, a test send and a test-url send, each accepted by the sample receiver.
async fn assert_the_sample_accepts_hookd(heading: &str, verify: Verify) {
    // Arrange
    let profile = readme_profile(heading);
    let receiver = SampleReceiver::start(verify).await;
    let (env, wh) = contract_env(&profile, &receiver).await;
    let signature_header = profile.config.wire.signature_header.to_ascii_lowercase();

    // Act 1: an event
    let ack = env
        .send(
            "user.created",
            json!({"user": {"id": "user_123", "name": "John Doe"}}),
        )
        .await;

    // Assert 1: accepted, and recorded under the configured names, masked
    assert_eq!(
        receiver.verdict(1).await,
        Ok("user.created".to_owned()),
        "{heading}"
    );
    let (headers, body) = {
        let seen = receiver.state.seen.lock().unwrap();
        (seen[0].0.clone(), seen[0].1.to_vec())
    };
    let secret = receiver.state.secret.get().unwrap();
    let mut tampered = body;
    let at = tampered
        .iter()
        .position(|b| *b == b'J')
        .expect("the name is in the body");
    tampered[at] = b'j';
    assert!(
        verify(secret, &headers, &tampered).is_err(),
        "{heading}: the sample accepts a tampered body"
    );
    let event_id = ack["id"].as_str().unwrap();
    let delivery = env
        .wait_status(&env.only_delivery_id(event_id).await, "succeeded")
        .await;
    let shown = &attempts(&delivery)[0]["request_headers"];
    assert_eq!(shown[&signature_header], "••••", "{heading}: {shown}");
    assert_eq!(
        shown["user-agent"],
        profile.config.wire.user_agent.as_str(),
        "{heading}"
    );
    if signature_header != "x-webhook-signature" {
        assert!(shown.get("x-webhook-signature").is_none(), "{shown}");
    }
    assert_eq!(
        shown.get("webhook-signature").is_some(),
        profile.config.wire.standard_webhooks,
        "{heading}: {shown}"
    );
    assert!(
        !delivery
            .to_string()
            .contains(receiver.state.secret.get().unwrap()),
        "the secret never shows"
    );

    // Act 2: a test send from the API
    let test = env
        .api
        .post(
            &format!("/api/v1/webhooks/{wh}/test"),
            &json!({}),
            StatusCode::OK,
        )
        .await;

    // Assert 2
    assert_eq!(receiver.verdict(2).await, Ok("webhook.test".to_owned()));
    assert_eq!(test["status"], "succeeded", "{heading}: {test}");

    // Act 3: test-url with the endpoint's secret
    let tried = env
        .api
        .post(
            "/api/v1/webhooks/test-url",
            &json!({"url": receiver.url, "secret": receiver.state.secret.get().unwrap()}),
            StatusCode::OK,
        )
        .await;

    // Assert 3
    assert_eq!(receiver.verdict(3).await, Ok("webhook.test".to_owned()));
    assert_eq!(
        tried["attempt"]["response_status"], 200,
        "{heading}: {tried}"
    );
}

#[tokio::test]
async fn the_proxy_resellers_sample_receiver_accepts_hookds_deliveries() {
    assert_the_sample_accepts_hookd("A proxy reseller", proxy_reseller).await;
}

#[tokio::test]
async fn the_security_platforms_sample_receiver_accepts_hookds_deliveries() {
    assert_the_sample_accepts_hookd("A security platform", security_platform).await;
}

#[tokio::test]
async fn the_vpn_products_sample_receiver_accepts_hookds_deliveries() {
    assert_the_sample_accepts_hookd("A VPN product", vpn_product).await;
}

#[tokio::test]
async fn the_generic_saas_sample_receivers_accept_hookds_deliveries() {
    assert_the_sample_accepts_hookd("A generic SaaS", generic_saas).await;
}

#[test]
fn the_profiles_schedules_and_endpoint_fields_match_the_documents() {
    let cases = [
        ("A proxy reseller", "30s", 2, 10),
        ("A security platform", "30s,1m,2m,4m,8m", 5, 5),
        ("A VPN product", "30s,5m,30m,2h,5h,10h,13h", 10, 10),
        ("A generic SaaS", "30s,5m,30m,2h", 4, 10),
    ];
    for (heading, schedule, retries, timeout) in cases {
        let p = readme_profile(heading);
        assert_eq!(p.config.retry_schedule.to_string(), schedule, "{heading}");
        assert_eq!(p.endpoint["retry_count"], retries, "{heading}");
        assert_eq!(p.endpoint["timeout_seconds"], timeout, "{heading}");
    }
}

#[tokio::test]
async fn a_retry_after_a_failure_is_sent_in_the_same_contract() {
    // Arrange: the VPN profile's wire, a receiver that fails once, and retries in
    // milliseconds (the profile's schedule starts at 30 s)
    let wire = readme_profile("A VPN product").config.wire;
    let env = Env::start(|cfg| {
        fast_retries(cfg);
        cfg.wire = wire;
    })
    .await;
    env.event_type("user.created").await;
    let receiver = SampleReceiver::start(vpn_product).await;
    *receiver.state.fail_first.lock().unwrap() = 1;
    receiver.subscribe(&env, json!({"retry_count": 2})).await;

    // Act
    let ack = env.send("user.created", json!({"n": 1})).await;

    // Assert
    assert!(receiver.verdict(1).await.is_err());
    assert_eq!(receiver.verdict(2).await, Ok("user.created".to_owned()));
    let delivery = env
        .wait_status(
            &env.only_delivery_id(ack["id"].as_str().unwrap()).await,
            "succeeded",
        )
        .await;
    let log = attempts(&delivery);
    assert_eq!(log.len(), 2);
    for attempt in log {
        let shown = &attempt["request_headers"];
        assert_eq!(shown["x-vpn-signature"], "••••", "{shown}");
        assert!(shown.get("webhook-signature").is_none(), "{shown}");
    }
}

#[tokio::test]
async fn the_openapi_description_names_the_configured_headers_and_fields() {
    // Arrange
    let wire = readme_profile("A VPN product").config.wire;
    let env = Env::start(|cfg| cfg.wire = wire).await;

    // Act
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", env.app.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let text = doc["info"]["description"].as_str().unwrap();
    assert!(
        text.contains("`sha256=` then the hex HMAC-SHA256"),
        "{text}"
    );
    assert!(text.contains("`X-VPN-Signature`"), "{text}");
    assert!(!text.contains("webhook-signature"), "{text}");
    assert!(text.contains("`signature_header`"), "{text}");
}

#[tokio::test]
async fn the_delivery_page_shows_the_request_as_the_contract_sent_it() {
    // Arrange: the proxy reseller's contract (no id, the type in `event`)
    let wire = readme_profile("A proxy reseller").config.wire;
    let env = Env::start(|cfg| cfg.wire = wire).await;
    env.event_type("user.created").await;
    let receiver = SampleReceiver::start(proxy_reseller).await;
    receiver.subscribe(&env, json!({})).await;
    let ack = env.send("user.created", json!({"n": 1})).await;
    assert_eq!(receiver.verdict(1).await, Ok("user.created".to_owned()));
    let delivery = env.only_delivery_id(ack["id"].as_str().unwrap()).await;
    env.wait_status(&delivery, "succeeded").await;
    let sent = String::from_utf8(receiver.state.seen.lock().unwrap()[0].1.to_vec()).unwrap();

    // Act
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin.page(&format!("/deliveries/{delivery}")).await;

    // Assert: the body byte for byte (HTML-escaped) and the User-Agent as sent
    let escaped = sent.replace('&', "&amp;").replace('"', "&#34;");
    let shown = html::between(&page.body, r#"<pre id="request-body">"#, "</pre>")
        .expect("the request body is shown");
    assert!(
        shown == escaped || shown == sent.replace('"', "&quot;"),
        "shown {shown:?}, sent {sent:?}"
    );
    assert!(page.body.contains("PlainProxies-Webhook/1.0"));
}
