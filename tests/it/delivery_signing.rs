//! What a receiver gets: every header, the exact body, and signatures that verify — computed
//! here independently, and checked by the official Standard Webhooks libraries (Python and
//! Node.js) run as separate processes.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::delivery_kit::{Env, Hit, Hook, attempts};

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `v1,<base64>` as the Standard Webhooks spec defines it.
pub(crate) fn standard_sig(secret: &str, id: &str, ts: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("secret is base64");
    let mac = hmac_sha256(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac))
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_delivery_carries_every_header_the_exact_body_and_valid_signatures() {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    let wh = env
        .webhook(json!({
            "url": format!("{}/in", hook.url()),
            "events": ["invoice.paid"],
            "headers": {"X-Tenant": "acme", "X-Trace": "t-1", "Authorization": "Bearer receiver-token"},
        }))
        .await;
    let secret = wh["secret"].as_str().unwrap().to_owned();
    // Unusual spacing, key order, number form and escapes must survive byte for byte.
    let raw_data = r#"{"z": 1.50, "a":["é","\u00e9"],  "nested":{"k":null}}"#;
    let raw_event = format!(r#"{{"type":"invoice.paid","data":{raw_data}}}"#);

    // Act
    let ack = env
        .api
        .send(
            env.api
                .request(reqwest::Method::POST, "/api/v1/events")
                .header("content-type", "application/json")
                .body(raw_event),
            StatusCode::ACCEPTED,
        )
        .await;
    let hit = hook.wait_for(1).await.remove(0);

    // Assert: headers
    let id = ack["id"].as_str().unwrap();
    assert!(id.starts_with("evt_"), "{id}");
    assert_eq!(hit.path, "/in");
    assert_eq!(hit.header("content-type"), "application/json");
    assert_eq!(
        hit.header("user-agent"),
        format!("hookd/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(hit.header("x-webhook-event"), "invoice.paid");
    assert_eq!(hit.header("x-webhook-id"), id);
    assert_eq!(hit.header("webhook-id"), id);
    let ts = hit.header("webhook-timestamp");
    let ts_n: i64 = ts.parse().expect("webhook-timestamp is unix seconds");
    assert!(
        (ts_n - now_unix()).abs() <= 5,
        "webhook-timestamp {ts_n} is not near now"
    );
    assert_eq!(hit.header("x-tenant"), "acme");
    assert_eq!(hit.header("x-trace"), "t-1");
    assert_eq!(hit.header("authorization"), "Bearer receiver-token");

    // Assert: the body, exactly
    let body = hit.text();
    let sent: Value = hit.json();
    let timestamp = sent["timestamp"].as_str().expect("timestamp string");
    assert!(timestamp.ends_with('Z'), "timestamp is UTC: {timestamp}");
    time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
        .expect("timestamp is RFC 3339");
    assert_eq!(
        body,
        format!(
            r#"{{"id":"{id}","timestamp":"{timestamp}","type":"invoice.paid","data":{raw_data}}}"#
        ),
        // The order the release binary has always sent (serde_json's sorted map; only test
        // builds, where a dev-dependency turns on `preserve_order`, used to differ).
        "body must be exactly {{id,timestamp,type,data}} with data byte-identical"
    );

    // Assert: hex signature, keyed with the secret string
    let hex_sig = hex::encode(hmac_sha256(secret.as_bytes(), &[hit.body.as_ref()]));
    assert_eq!(hit.header("x-webhook-signature"), hex_sig);
    assert_eq!(
        hit.header("x-webhook-signature"),
        hit.header("x-webhook-signature").to_lowercase()
    );

    // Assert: Standard Webhooks signature, one entry outside a rotation
    assert_eq!(
        hit.header("webhook-signature"),
        standard_sig(&secret, id, ts, &hit.body)
    );

    // Assert: the attempt record masks the signatures
    let dlv = env
        .wait_status(&env.only_delivery_id(id).await, "succeeded")
        .await;
    let shown = &attempts(&dlv)[0]["request_headers"];
    assert_eq!(shown["webhook-id"], id);
    for name in ["x-webhook-signature", "webhook-signature"] {
        let v = shown[name].as_str().unwrap();
        assert!(
            !v.contains(&hex_sig) && !v.contains(&hit.header("webhook-signature")[3..]),
            "{name} is not masked in the attempt record: {v}"
        );
    }
    assert_eq!(shown["x-tenant"], "acme");
    assert!(
        !dlv.to_string().contains(&secret),
        "secret leaked into the delivery record"
    );
    assert!(
        !dlv.to_string().contains("receiver-token"),
        "a credential-like custom header is masked in the attempt record: {shown}"
    );
}

/// A delivery signed during a rotation: (old secret, new secret, the request, its event id).
async fn delivery_during_rotation() -> (String, String, Hit, String) {
    let env = Env::start(|_| {}).await;
    env.event_type("invoice.paid").await;
    let hook = Hook::ok().await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["invoice.paid"]}))
        .await;
    let old = wh["secret"].as_str().unwrap().to_owned();
    let rotated = env
        .api
        .post(
            &format!(
                "/api/v1/webhooks/{}/rotate-secret",
                wh["id"].as_str().unwrap()
            ),
            &json!({}),
            StatusCode::OK,
        )
        .await;
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    let ack = env.send("invoice.paid", json!({"n": 1})).await;
    let hit = hook.wait_for(1).await.remove(0);
    (old, new, hit, ack["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn during_rotation_both_secrets_sign_and_each_verifies() {
    // Arrange, Act
    let (old, new, hit, id) = delivery_during_rotation().await;

    // Assert
    let id = id.as_str();
    let ts = hit.header("webhook-timestamp");
    let sigs: Vec<&str> = hit.header("webhook-signature").split(' ').collect();
    assert_eq!(sigs.len(), 2, "two signatures during rotation: {sigs:?}");
    assert!(sigs.contains(&standard_sig(&new, id, ts, &hit.body).as_str()));
    assert!(sigs.contains(&standard_sig(&old, id, ts, &hit.body).as_str()));
    // The hex signature uses the current secret.
    assert_eq!(
        hit.header("x-webhook-signature"),
        hex::encode(hmac_sha256(new.as_bytes(), &[hit.body.as_ref()]))
    );
}

#[tokio::test]
#[cfg_attr(
    not(has_python_standardwebhooks),
    ignore = "Python standardwebhooks is not installed: pip install standardwebhooks"
)]
async fn during_rotation_python_standardwebhooks_verifies_with_either_secret() {
    let (old, new, hit, _) = delivery_during_rotation().await;
    for secret in [&old, &new] {
        Verifier::Python.assert_verifies(secret, &hit);
    }
}

#[tokio::test]
#[cfg_attr(
    not(has_node_standardwebhooks),
    ignore = "Node.js standardwebhooks is not installed: npm ci in tests/receivers/node"
)]
async fn during_rotation_node_standardwebhooks_verifies_with_either_secret() {
    let (old, new, hit, _) = delivery_during_rotation().await;
    for secret in [&old, &new] {
        Verifier::Node.assert_verifies(secret, &hit);
    }
}

#[tokio::test]
#[cfg_attr(
    not(has_python_standardwebhooks),
    ignore = "Python standardwebhooks is not installed: pip install standardwebhooks"
)]
async fn the_official_python_standard_webhooks_library_verifies_a_delivery_unchanged() {
    official_library_verifies_a_delivery_unchanged(Verifier::Python).await;
}

#[tokio::test]
#[cfg_attr(
    not(has_node_standardwebhooks),
    ignore = "Node.js standardwebhooks is not installed: npm ci in tests/receivers/node"
)]
async fn the_official_node_standard_webhooks_library_verifies_a_delivery_unchanged() {
    official_library_verifies_a_delivery_unchanged(Verifier::Node).await;
}

async fn official_library_verifies_a_delivery_unchanged(lib: Verifier) {
    // Arrange
    let env = Env::start(|_| {}).await;
    env.event_type("order.created").await;
    let hook = Hook::ok().await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["order.created"]}))
        .await;
    let secret = wh["secret"].as_str().unwrap().to_owned();

    // Act
    env.send(
        "order.created",
        json!({"order": {"id": 7, "note": "ünïcode ✓"}}),
    )
    .await;
    let hit = hook.wait_for(1).await.remove(0);

    // Assert
    lib.assert_verifies(&secret, &hit);
    // A receiver with another secret must reject it (the verifier is not a rubber stamp).
    lib.assert_rejects("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &hit);
}

#[derive(Clone, Copy, Debug)]
enum Verifier {
    Python,
    Node,
}

enum Verdict {
    Verified,
    Rejected(String),
    /// The interpreter or the library is not installed.
    Missing(String),
}

impl Verifier {
    fn command(self) -> Command {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/receivers");
        match self {
            Verifier::Python => {
                let mut c = Command::new("python3");
                c.arg(dir.join("verify.py"));
                c
            }
            Verifier::Node => {
                let mut c = Command::new("node");
                c.arg(dir.join("node/verify.js"));
                c
            }
        }
    }

    fn run(self, secret: &str, hit: &Hit) -> Verdict {
        let headers: serde_json::Map<String, Value> = hit
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap())))
            .collect();
        let input = json!({"secret": secret, "headers": headers, "body": hit.text()});
        let child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => return Verdict::Missing(format!("{self:?} interpreter: {e}")),
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        match out.status.code() {
            Some(0) => Verdict::Verified,
            Some(3) => Verdict::Missing(stderr),
            _ => Verdict::Rejected(format!("{stderr}{}", String::from_utf8_lossy(&out.stdout))),
        }
    }

    /// The build found the library (the test is not ignored), so a missing one now is a failure.
    fn missing(self, why: &str) {
        panic!(
            "{self:?} Standard Webhooks verifier unavailable: {why}; it was there when the tests \
             were built: reinstall it (.ci/run does), or touch build.rs to probe again"
        );
    }

    fn assert_verifies(self, secret: &str, hit: &Hit) {
        match self.run(secret, hit) {
            Verdict::Verified => {}
            Verdict::Rejected(why) => {
                panic!("{self:?} standardwebhooks rejected the delivery: {why}")
            }
            Verdict::Missing(why) => self.missing(&why),
        }
    }

    fn assert_rejects(self, secret: &str, hit: &Hit) {
        match self.run(secret, hit) {
            Verdict::Verified => panic!("{self:?} verified with the wrong secret"),
            Verdict::Rejected(_) => {}
            Verdict::Missing(why) => self.missing(&why),
        }
    }
}
