//! The receiver snippets on the page, run here as real Python and Node.js receivers: they
//! verify hookd's deliveries and reject tampered bodies, with the default wire format and with
//! renamed headers, a signature prefix and renamed body fields.

use std::process::{Child, Command, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::json;

use hookd::wire::WireFormat;

use super::{Fixture, WAIT, fixture, fixture_with, unescape};
use crate::support::{html, wait_until};

enum Lang {
    Python,
    Node,
}

/// A snippet running as a server on a free loopback port.
struct Running {
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl Running {
    /// Stops it and returns what it printed.
    fn output(mut self) -> String {
        let _ = self.child.kill();
        let child = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

/// The build found the interpreter and library (the test is not ignored): missing now is a
/// failure, never a pass.
fn unavailable(why: &str) -> ! {
    panic!(
        "snippet receiver unavailable: {why}; it was there when the tests were built: \
         reinstall it (.ci/run does), or touch build.rs to probe again"
    );
}

/// Starts `code` with the secret in the environment.
async fn start_snippet(lang: Lang, code: &str, secret: &str, dir: &std::path::Path) -> Running {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (program, file) = match lang {
        Lang::Python => ("python3", dir.join("receiver.py")),
        Lang::Node => ("node", dir.join("receiver.js")),
    };
    std::fs::write(&file, code).unwrap();
    let node_modules =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/receivers/node/node_modules");
    let child = Command::new(program)
        .arg(&file)
        .env("HOOKD_WEBHOOK_SECRET", secret)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("NODE_PATH", node_modules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut running = match child {
        Ok(child) => Running {
            child,
            url: format!("http://127.0.0.1:{port}"),
        },
        Err(e) => unavailable(&format!("{program}: {e}")),
    };
    let listens = wait_until(WAIT, &format!("the snippet listens:\n{code}"), || {
        let exited = matches!(running.child.try_wait(), Ok(Some(_)));
        async move {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                Some(true)
            } else {
                exited.then_some(false)
            }
        }
    })
    .await;
    if listens {
        return running;
    }
    let out = running.output();
    if out.contains("No module named") || out.contains("Cannot find module") {
        unavailable(&out);
    }
    panic!("the snippet exited:\n{out}\n{code}");
}

#[tokio::test]
#[cfg_attr(
    not(has_python_standardwebhooks),
    ignore = "Python standardwebhooks is not installed: pip install standardwebhooks"
)]
async fn python_snippets_verify_real_deliveries_and_reject_tampered_bodies() {
    snippets_verify_real_deliveries(fixture().await, &WireFormat::default(), PYTHON).await;
}

#[tokio::test]
#[cfg_attr(
    not(has_node_standardwebhooks),
    ignore = "Node.js standardwebhooks is not installed: npm ci in tests/receivers/node"
)]
async fn node_snippets_verify_real_deliveries_and_reject_tampered_bodies() {
    snippets_verify_real_deliveries(fixture().await, &WireFormat::default(), NODE).await;
}

const PYTHON: [(&str, Lang); 2] = [
    ("python-standard", Lang::Python),
    ("python-hmac", Lang::Python),
];
const NODE: [(&str, Lang); 2] = [("node-standard", Lang::Node), ("node-hmac", Lang::Node)];

/// A contract unlike the default in every way a snippet depends on.
fn renamed_wire() -> WireFormat {
    let mut wire = WireFormat {
        signature_header: "X-VPN-Signature".into(),
        signature_prefix: "sha256=".into(),
        event_header: "X-Event-Name".into(),
        ..WireFormat::default()
    };
    wire.body.id = String::new();
    wire.body.event_type = "event".into();
    wire
}

#[tokio::test]
#[cfg_attr(
    not(has_python_standardwebhooks),
    ignore = "Python standardwebhooks is not installed: pip install standardwebhooks"
)]
async fn python_snippets_follow_a_renamed_contract_and_still_verify_real_deliveries() {
    let wire = renamed_wire();
    let set = wire.clone();
    snippets_verify_real_deliveries(fixture_with(|c| c.wire = set).await, &wire, PYTHON).await;
}

#[tokio::test]
#[cfg_attr(
    not(has_node_standardwebhooks),
    ignore = "Node.js standardwebhooks is not installed: npm ci in tests/receivers/node"
)]
async fn node_snippets_follow_a_renamed_contract_and_still_verify_real_deliveries() {
    let wire = renamed_wire();
    let set = wire.clone();
    snippets_verify_real_deliveries(fixture_with(|c| c.wire = set).await, &wire, NODE).await;
}

#[tokio::test]
async fn without_standard_webhooks_only_the_hmac_snippets_are_offered() {
    // Arrange
    let f = fixture_with(|c| {
        c.wire = renamed_wire();
        c.wire.standard_webhooks = false;
    })
    .await;

    // Act
    let page = f.admin.page(&f.page_path()).await;

    // Assert
    assert!(page.body.contains("Standard Webhooks headers are off"));
    assert!(
        !page.body.contains("-standard\""),
        "no Standard Webhooks snippet"
    );
    for lang in ["python", "node", "go", "rust"] {
        let code = html::between(
            &page.body,
            &format!(r#"<code id="snippet-{lang}-hmac">"#),
            "</code>",
        )
        .unwrap_or_else(|| panic!("no {lang} hmac snippet"));
        assert!(code.contains("x-vpn-signature"), "{lang}: {code}");
        assert!(code.contains("sha256="), "{lang}: {code}");
        assert!(!code.contains("x-webhook-signature"), "{lang}: {code}");
    }
}

/// Runs the page's `snippets` as receivers of `f`'s app, which sends `wire`.
async fn snippets_verify_real_deliveries(
    f: Fixture,
    wire: &WireFormat,
    snippets: [(&str, Lang); 2],
) {
    // Arrange: the page's snippets, and a free port for each receiver
    let page = f.admin.page(&f.page_path()).await;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    for (key, lang) in snippets {
        let code = unescape(
            html::between(
                &page.body,
                &format!(r#"<code id="snippet-{key}">"#),
                "</code>",
            )
            .unwrap_or_else(|| panic!("no {key} snippet")),
        );
        assert!(code.contains("HOOKD_WEBHOOK_SECRET"), "{code}");
        assert!(
            !code.contains(&f.secret),
            "the real secret is never in a snippet"
        );
        // An endpoint of its own; first at the harness receiver, to capture a signed request.
        let wh = f
            .api
            .post(
                "/api/v1/webhooks",
                &json!({"url": format!("{}/{key}", f.receiver.url()), "events": ["order.created"], "retry_count": 0}),
                StatusCode::CREATED,
            )
            .await;
        let (wh_id, secret) = (wh["id"].as_str().unwrap(), wh["secret"].as_str().unwrap());
        let before = f.receiver.requests().len();
        f.ingest("order.created").await;
        let captured = wait_until(WAIT, "the signed request", || async {
            f.receiver
                .requests()
                .into_iter()
                .skip(before)
                .find(|r| r.path == format!("/{key}"))
        })
        .await;
        let server = start_snippet(lang, &code, secret, dir.path()).await;

        // Act 1: hookd sends a test event to the snippet, from the endpoint page
        f.api
            .send(
                f.api
                    .request(Method::PATCH, &format!("/api/v1/webhooks/{wh_id}"))
                    .json(&json!({"url": format!("{}/hook", server.url)})),
                StatusCode::OK,
            )
            .await;
        let sent = f
            .admin
            .htmx_submit(
                &format!("/webhooks/{wh_id}/test"),
                &[
                    ("event_type", "invoice.paid"),
                    ("payload", r#"{"snippet": 1}"#),
                ],
                StatusCode::OK,
            )
            .await;

        // Act 2: the captured request replayed as is, then with the body changed
        let replay = |body: Vec<u8>| {
            let mut req = http.post(format!("{}/in", server.url)).body(body);
            for (k, v) in &captured.headers {
                if k != "content-length" && k != "host" {
                    req = req.header(k, v);
                }
            }
            req.send()
        };
        let good = replay(captured.body.to_vec()).await.unwrap().status();
        let mut tampered = captured.body.to_vec();
        let at = tampered.iter().position(|b| *b == b'1').unwrap();
        tampered[at] = b'2';
        let bad = replay(tampered).await.unwrap().status();

        // Assert
        let out = server.output();
        assert!(
            sent.body.contains("badge-succeeded") && sent.body.contains(r#"id="test-status">204<"#),
            "{key} refused hookd's test event:\n{out}\n{}",
            sent.body
        );
        assert!(
            out.contains(" invoice.paid"),
            "{key} printed the test event:\n{out}"
        );
        assert!(
            good.is_success(),
            "{key} refused a genuine delivery ({good}):\n{out}"
        );
        assert_eq!(
            bad,
            StatusCode::UNAUTHORIZED,
            "{key} accepted a tampered body:\n{out}"
        );
        let printed = if wire.body.id.is_empty() {
            "verified order.created".to_owned()
        } else {
            let event_id = captured.json()[&wire.body.id].as_str().unwrap().to_owned();
            format!("verified {event_id} order.created")
        };
        assert!(out.contains(&printed), "{key}: wants {printed:?}:\n{out}");
        assert!(out.contains("rejected"), "{key}:\n{out}");
    }
}
