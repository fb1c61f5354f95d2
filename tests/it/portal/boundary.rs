//! The boundary: a tenant's portal lists only its own rows; any id of another tenant or of the
//! team is the same 404 as an unknown one, on every route; and a portal session opens no
//! operator page (login redirect) and no API route (401), whatever the cookie is called.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{World, change_routes, csrf, portal_cookie};
use crate::support::TestClient;

#[tokio::test]
async fn the_endpoint_list_holds_only_the_tenants_own_endpoints() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;

    // Act
    let list = acme.page("/portal/webhooks").await;

    // Assert
    assert!(list.body.contains("Acme orders"), "{}", list.body);
    assert!(
        list.body
            .contains(&format!("/portal/webhooks/{}", w.acme_endpoint))
    );
    for other in [
        "Globex billing",
        "Team internal",
        &w.globex_endpoint,
        &w.team_endpoint,
    ] {
        assert!(
            !list.body.contains(other),
            "{other} leaked into:\n{}",
            list.body
        );
    }
    // No operator navigation in the portal's layout.
    for operator in [
        r#"href="/api-keys""#,
        r#"href="/users""#,
        r#"href="/events""#,
        r#"action="/logout""#,
    ] {
        assert!(
            !list.body.contains(operator),
            "{operator} in:\n{}",
            list.body
        );
    }
}

#[tokio::test]
async fn other_tenants_and_the_teams_ids_are_not_found_on_every_portal_route() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;
    let token = csrf(&acme).await;
    let mut foreign = vec![];
    for endpoint in [w.globex_endpoint.clone(), w.team_endpoint.clone()] {
        let delivery = w.delivery_of(&endpoint).await;
        let since = hookd::timestamp::Timestamp::now()
            .minus(std::time::Duration::from_secs(3600))
            .rfc3339();
        let replay = w
            .api
            .post(
                &format!("/api/v1/webhooks/{endpoint}/replay"),
                &json!({"since": since}),
                StatusCode::ACCEPTED,
            )
            .await["id"]
            .as_str()
            .expect("a replay id")
            .to_owned();
        foreign.push((endpoint, delivery, replay));
    }

    for (e, d, r) in &foreign {
        // Act / Assert: reads.
        for path in [
            format!("/portal/webhooks/{e}"),
            format!("/portal/webhooks/{e}/edit"),
            format!("/portal/webhooks/{e}/delete"),
            format!("/portal/webhooks/{e}/deliveries"),
            format!("/portal/webhooks/{e}/test-example?test_type=webhook.test"),
            format!("/portal/webhooks/{e}/rotate-secret"),
            format!("/portal/deliveries/{d}"),
            format!("/portal/replays/{r}"),
        ] {
            let page = acme.get(&path, StatusCode::NOT_FOUND).await;
            assert!(!page.body.contains("Globex"), "{path}: {}", page.body);
            // In the portal's layout, not the operator's.
            assert!(
                page.body.contains("<title>Not found · Webhooks</title>"),
                "{path}: {}",
                page.body
            );
        }
        // Changes.
        for (path, fields) in change_routes(e, d) {
            let mut all = fields.clone();
            all.push(("csrf_token", &token));
            acme.post_form(&path, &all, StatusCode::NOT_FOUND).await;
        }
    }

    // Nothing of theirs changed.
    for (e, _, _) in &foreign {
        let after = w.endpoint_json(e).await;
        assert_eq!(after["enabled"], true, "{after}");
    }
}

#[tokio::test]
async fn an_endpoint_created_in_the_portal_belongs_to_its_tenant() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;
    // The form offers no tenant to choose, and names no other tenant.
    let form = acme.page("/portal/webhooks/new").await;
    assert!(!form.body.contains(r#"name="tenant""#), "{}", form.body);
    assert!(!form.body.contains("globex"), "{}", form.body);

    // Act
    let page = super::submit(
        &acme,
        "/portal/webhooks",
        &[
            ("name", "Made in the portal"),
            ("url", "http://127.0.0.1:9/portal"),
            ("events", "invoice.paid"),
            ("retry_count", "4"),
            ("timeout_seconds", "10"),
            ("tls_verify", "true"),
            ("enabled", "true"),
        ],
        StatusCode::OK,
    )
    .await;

    // Assert
    let id = super::edit_link_id(&page.body);
    assert!(
        page.body.contains(r#"id="new-secret">whsec_"#),
        "{}",
        page.body
    );
    let e = w.endpoint_json(&id).await;
    assert_eq!(e["tenant"], "acme", "{e}");
    // Naming another tenant in the form is refused, whether or not it exists.
    for other in ["globex", "no-such-tenant"] {
        let refused = super::submit(
            &acme,
            "/portal/webhooks",
            &[
                ("url", "http://127.0.0.1:9/x"),
                ("events", "*"),
                ("tenant", other),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(refused.body.contains("another tenant"), "{}", refused.body);
    }
    let globex = w.portal("globex", false).await;
    globex
        .get(&format!("/portal/webhooks/{id}"), StatusCode::NOT_FOUND)
        .await;
    let team = w.admin.page("/webhooks").await;
    assert!(
        team.body.contains("Made in the portal"),
        "operators see every tenant's rows"
    );
}

/// Operator pages a portal session must never open.
const OPERATOR_PAGES: [&str; 10] = [
    "/",
    "/tenants",
    "/tenants/acme",
    "/webhooks",
    "/webhooks/new",
    "/events",
    "/event-types",
    "/api-keys",
    "/users",
    "/account",
];

#[tokio::test]
async fn a_portal_session_opens_no_operator_page_and_no_api_route() {
    // Arrange
    let w = World::new().await;
    let entered = w
        .app
        .client()
        .get(&w.link("acme", false).await, StatusCode::SEE_OTHER)
        .await;
    let cookie = portal_cookie(&entered);
    let value = cookie.trim_start_matches("hookd_portal=");
    // Sent everywhere (a browser keeps it to /portal), and also under the operator's name: the
    // same session store must not make a portal session an operator one.
    let clients = [
        TestClient::replaying(w.app.url(), &cookie),
        TestClient::replaying(w.app.url(), &format!("hookd_session={value}")),
    ];

    for client in &clients {
        // Act / Assert
        for path in OPERATOR_PAGES.iter().map(|p| p.to_string()).chain([
            format!("/webhooks/{}", w.acme_endpoint),
            format!("/webhooks/{}/deliveries", w.acme_endpoint),
        ]) {
            let resp = client.get(&path, StatusCode::SEE_OTHER).await;
            assert!(
                resp.location().starts_with("/login?next="),
                "{path} sent to {}",
                resp.location()
            );
        }
        let post = client
            .send(
                client
                    .request(
                        Method::POST,
                        &format!("/webhooks/{}/enabled", w.acme_endpoint),
                    )
                    .form(&[("enabled", "false")]),
                StatusCode::SEE_OTHER,
            )
            .await;
        assert!(post.location().starts_with("/login?next="), "{post:?}");
        for path in ["/api/v1/webhooks", "/api/v1/tenants", "/api/v1/events"] {
            client.get(path, StatusCode::UNAUTHORIZED).await;
        }
    }
    assert_eq!(w.endpoint_json(&w.acme_endpoint).await["enabled"], true);
}
