//! Entry: a link opens once, into a new session of its own cookie; a used, expired or unknown
//! link, or a portal page without a session, shows the "ask for a new link" page, never the
//! operator's login.

use reqwest::StatusCode;

use super::{World, portal_cookie};
use std::time::Duration;

use crate::support::{TestApp, TestClient, TestResponse, wait_until};

#[tokio::test]
async fn a_link_opens_once_and_lands_on_the_tenants_endpoints() {
    // Arrange
    let w = World::new().await;
    let link = w.link("acme", false).await;
    let browser = w.app.client();

    // Act
    let first = browser.get(&link, StatusCode::SEE_OTHER).await;
    let again = w.app.client().get(&link, StatusCode::GONE).await;

    // Assert
    assert_eq!(first.location(), "/portal/webhooks");
    let cookie = portal_cookie_line(&first);
    assert!(cookie.contains("Path=/portal"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // At most 12 hours, however the session is used.
    let max_age: u64 = cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Max-Age in {cookie}"));
    assert!((43_000..=43_200).contains(&max_age), "{cookie}");
    assert!(
        first.header("set-cookie").is_some_and(|_| !first
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap_or("").starts_with("hookd_session="))),
        "no operator session is started"
    );
    assert!(
        again.body.contains("This link no longer works"),
        "{}",
        again.body
    );
    assert!(again.body.contains("works once"), "{}", again.body);
    let list = browser.page("/portal/webhooks").await;
    assert!(list.body.contains("Acme orders"), "{}", list.body);
}

#[tokio::test]
async fn an_unknown_or_expired_link_is_refused_with_the_same_friendly_page() {
    // Arrange
    let w = World::new().await;
    let link = w.link("acme", false).await;
    // A link minted long ago: expiry is at least 60 s out, so move it into the past.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        w.app.data_dir().join("hookd.db").display()
    ))
    .await
    .expect("the database opens");
    sqlx::query("update portal_links set expires_at = 1")
        .execute(&db)
        .await
        .expect("expiry moved");
    db.close().await;

    // Act
    let expired = w.app.client().get(&link, StatusCode::GONE).await;
    let unknown = w
        .app
        .client()
        .get("/portal/enter?token=hkp_nope", StatusCode::GONE)
        .await;
    let bare = w.app.client().get("/portal/enter", StatusCode::GONE).await;

    // Assert
    for page in [&expired, &unknown, &bare] {
        assert!(
            page.body.contains("This link no longer works"),
            "{}",
            page.body
        );
        assert!(
            page.header("set-cookie")
                .is_none_or(|c| !c.contains("hookd_session"))
        );
    }
}

#[tokio::test]
async fn portal_pages_without_a_session_ask_for_a_new_link_not_for_a_login() {
    // Arrange
    let w = World::new().await;
    let stranger = w.app.client();

    // Act / Assert
    for path in [
        "/portal/webhooks".to_owned(),
        format!("/portal/webhooks/{}", w.acme_endpoint),
        "/portal/event-types".to_owned(),
    ] {
        let page = stranger.get(&path, StatusCode::UNAUTHORIZED).await;
        assert!(
            page.body.contains("Your session has ended"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("/login"), "{path}: {}", page.body);
    }
    let htmx = stranger.htmx_get("/portal/webhooks", StatusCode::OK).await;
    assert_eq!(htmx.header("hx-redirect"), Some("/portal/webhooks"));
}

#[tokio::test]
async fn a_portal_session_ends_at_its_limit_however_it_is_used() {
    // Arrange: sessions of two seconds instead of twelve hours.
    let w = World::with(|c| c.portal.session_max = std::time::Duration::from_secs(2)).await;
    let entered = w
        .app
        .client()
        .get(&w.link("acme", false).await, StatusCode::SEE_OTHER)
        .await;
    // Replayed as captured: a browser would drop it at its Max-Age, hiding whether the server
    // itself refuses it.
    let acme = TestClient::replaying(w.app.url(), &portal_cookie(&entered));
    acme.page("/portal/webhooks").await;

    // Act / Assert: refused once the limit has passed, though used all along.
    wait_until(Duration::from_secs(10), "the session ends", || async {
        let resp = acme
            .fetch(acme.request(reqwest::Method::GET, "/portal/webhooks"))
            .await;
        (resp.status == StatusCode::UNAUTHORIZED).then_some(resp)
    })
    .await;
    let page = acme.get("/portal/webhooks", StatusCode::UNAUTHORIZED).await;
    assert!(
        page.body.contains("Your session has ended"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn deleting_the_tenant_ends_its_portal_sessions() {
    // Arrange
    let w = World::new().await;
    let acme = w.portal("acme", false).await;
    acme.page("/portal/webhooks").await;

    // Act
    w.api
        .send(
            w.api
                .request(reqwest::Method::DELETE, "/api/v1/tenants/acme"),
            StatusCode::NO_CONTENT,
        )
        .await;

    // Assert
    let page = acme.get("/portal/webhooks", StatusCode::UNAUTHORIZED).await;
    assert!(
        page.body.contains("Your session has ended"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_new_link_starts_a_new_session_id() {
    // Arrange
    let w = World::new().await;
    let browser = w.app.client();
    let first = browser
        .get(&w.link("acme", false).await, StatusCode::SEE_OTHER)
        .await;

    // Act
    let second = browser
        .get(&w.link("acme", true).await, StatusCode::SEE_OTHER)
        .await;

    // Assert: no fixation, and the new grant (read-only) is the one in force.
    assert_ne!(portal_cookie(&first), portal_cookie(&second));
    let list = browser.page("/portal/webhooks").await;
    assert!(
        list.body.contains(r#"id="read-only-badge""#),
        "{}",
        list.body
    );
}

#[tokio::test]
async fn under_an_https_base_url_the_portal_cookie_can_live_in_an_iframe() {
    // Arrange: nothing serves the https address, and a Secure cookie would not come back over
    // the test's plain http, so the tenant and its link are made through the domain.
    let app = TestApp::spawn_with(|c| {
        c.base_url = Some(url::Url::parse("https://hooks.example.com").unwrap())
    })
    .await;
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.data_dir().join("hookd.db").display()
    ))
    .await
    .expect("the database opens");
    let tenant = hookd::tenants::create(&db, "acme", "").await.unwrap();
    let link =
        hookd::portal_links::create(&db, &tenant.uid, false, hookd::portal_links::DEFAULT_TTL)
            .await
            .unwrap();
    db.close().await;
    let local = TestClient::new(&app.local_url());

    // Act
    let resp = local
        .get(
            &format!("/portal/enter?token={}", link.token),
            StatusCode::SEE_OTHER,
        )
        .await;

    // Assert
    let cookie = portal_cookie_line(&resp);
    assert!(cookie.contains("SameSite=None"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/portal"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

fn portal_cookie_line(resp: &TestResponse) -> String {
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hookd_portal="))
        .expect("the portal cookie")
        .to_owned()
}
