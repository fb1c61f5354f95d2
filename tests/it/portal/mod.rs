//! The tenant portal (`/portal/…`): entered only through a one-time link, it shows one tenant's
//! endpoints, deliveries and replays and nothing else; a read-only link changes nothing; the
//! session is its own cookie and never opens an operator page or API route. One module per
//! promise; the world they share (two tenants, the team's own endpoint) is built here.

mod boundary;
mod entry;
mod headers;
mod read_only;
mod write;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ApiClient, TestApp, TestClient, TestResponse, html};

/// Nothing listens here: test sends fail fast, and still make deliveries.
const TARGET: &str = "http://127.0.0.1:9/hook";

/// Two tenants (`acme`, `globex`), each with one endpoint, and one endpoint of the team's own.
pub struct World {
    pub app: TestApp,
    pub admin: TestClient,
    /// A team key with every scope.
    pub api: ApiClient,
    pub acme_endpoint: String,
    pub globex_endpoint: String,
    pub team_endpoint: String,
}

impl World {
    pub async fn new() -> World {
        World::with(|_| {}).await
    }

    pub async fn with(adjust: impl FnOnce(&mut hookd::Config)) -> World {
        let app = TestApp::spawn_with(adjust).await;
        let admin = app.setup_admin().await;
        let api = app.api(&app.create_api_key(&admin, &["all"]).await);
        api.post(
            "/api/v1/event-types",
            &json!({"name": "invoice.paid", "description": "An invoice was paid"}),
            StatusCode::CREATED,
        )
        .await;
        for uid in ["acme", "globex"] {
            api.post("/api/v1/tenants", &json!({"uid": uid}), StatusCode::CREATED)
                .await;
        }
        let acme_endpoint = endpoint(&api, Some("acme"), "Acme orders").await;
        let globex_endpoint = endpoint(&api, Some("globex"), "Globex billing").await;
        let team_endpoint = endpoint(&api, None, "Team internal").await;
        World {
            app,
            admin,
            api,
            acme_endpoint,
            globex_endpoint,
            team_endpoint,
        }
    }

    /// A fresh link into `tenant`'s portal, as a path (`/portal/enter?token=…`).
    pub async fn link(&self, tenant: &str, read_only: bool) -> String {
        let body = self
            .api
            .post(
                &format!("/api/v1/tenants/{tenant}/portal-links"),
                &json!({"read_only": read_only}),
                StatusCode::CREATED,
            )
            .await;
        let url = body["url"].as_str().expect("the link has a url");
        let at = url.find("/portal/enter?token=hkp_").expect("a portal URL");
        url[at..].to_owned()
    }

    /// A browser that opened a fresh link into `tenant`'s portal.
    pub async fn portal(&self, tenant: &str, read_only: bool) -> TestClient {
        let client = self.app.client();
        let resp = client
            .get(&self.link(tenant, read_only).await, StatusCode::SEE_OTHER)
            .await;
        assert_eq!(resp.location(), "/portal/webhooks");
        client
    }

    /// A test send to `endpoint` through the API; returns the delivery id.
    pub async fn delivery_of(&self, endpoint: &str) -> String {
        let d = self
            .api
            .post(
                &format!("/api/v1/webhooks/{endpoint}/test"),
                &json!({}),
                StatusCode::OK,
            )
            .await;
        d["id"].as_str().expect("a delivery id").to_owned()
    }

    pub async fn endpoint_json(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
            .await
    }
}

/// Creates an endpoint through the API, for `tenant` or (None) the team.
pub async fn endpoint(api: &ApiClient, tenant: Option<&str>, name: &str) -> String {
    let mut body = json!({"url": TARGET, "events": ["*"], "name": name});
    if let Some(t) = tenant {
        body["tenant"] = json!(t);
    }
    let e = api
        .post("/api/v1/webhooks", &body, StatusCode::CREATED)
        .await;
    e["id"].as_str().expect("an endpoint id").to_owned()
}

/// The portal session's form token, read from one of its pages (base.html's `hx-headers`).
pub async fn csrf(portal: &TestClient) -> String {
    let page = portal.page("/portal/webhooks").await;
    html::between(&page.body, r#"{"X-CSRF-Token": ""#, "\"")
        .unwrap_or_else(|| panic!("no form token in page:\n{}", page.body))
        .to_owned()
}

/// POSTs a portal form with the session's token, as the browser would.
pub async fn submit(
    portal: &TestClient,
    path: &str,
    fields: &[(&str, &str)],
    expect: StatusCode,
) -> TestResponse {
    let token = csrf(portal).await;
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    portal.post_form(path, &all, expect).await
}

/// The `hookd_portal` cookie a response set (`name=value`).
pub fn portal_cookie(resp: &TestResponse) -> String {
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hookd_portal="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no hookd_portal cookie in {:?}", resp.headers))
        .to_owned()
}

/// The endpoint id of the page's edit link.
pub fn edit_link_id(body: &str) -> String {
    html::between(body, r#"href="/portal/webhooks/"#, r#"/edit""#)
        .unwrap_or_else(|| panic!("no portal edit link in page:\n{body}"))
        .to_owned()
}

/// Every portal route that changes an existing endpoint or delivery, with form fields that
/// would pass validation: what a read-only session and another tenant must both be refused.
pub fn change_routes(e: &str, d: &str) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            format!("/portal/webhooks/{e}"),
            vec![("url", "http://127.0.0.1:9/x"), ("events", "*")],
        ),
        (
            format!("/portal/webhooks/{e}/enabled"),
            vec![("enabled", "false")],
        ),
        (
            format!("/portal/webhooks/{e}/test"),
            vec![("event_type", "webhook.test"), ("payload", "{}")],
        ),
        (format!("/portal/webhooks/{e}/rotate-secret"), vec![]),
        (format!("/portal/webhooks/{e}/delete"), vec![]),
        (
            format!("/portal/webhooks/{e}/replays/preview"),
            vec![("preset", "24h")],
        ),
        (
            format!("/portal/webhooks/{e}/replays"),
            vec![("preset", "24h")],
        ),
        (format!("/portal/deliveries/{d}/retry"), vec![]),
    ]
}
