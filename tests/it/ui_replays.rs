//! Bulk replay from the endpoint page: a background job requeues the endpoint's failed
//! deliveries since a time, shows its progress (polled by htmx), and resumes after a restart.

use std::time::Duration;

use hookd::Config;
use reqwest::StatusCode;
use serde_json::json;

use crate::delivery_kit::{Env, Hook, Reply, SOON};
use crate::support::{ADMIN_EMAIL, ADMIN_PASSWORD, TestClient, html, wait_until};

/// An endpoint whose deliveries fail at once (no retries) on a receiver answering 500, and
/// `n` events sent to it, all failed. Returns (endpoint id, event ids oldest first).
pub(crate) async fn failed_deliveries(env: &Env, hook: &Hook, n: usize) -> (String, Vec<String>) {
    env.event_type("order.created").await;
    let wh = env
        .webhook(json!({"url": hook.url(), "events": ["order.created"], "retry_count": 0}))
        .await;
    let mut events = vec![];
    for i in 0..n {
        let ack = env.send("order.created", json!({ "i": i })).await;
        let id = ack["id"].as_str().unwrap().to_owned();
        let dlv = env.only_delivery_id(&id).await;
        env.wait_status(&dlv, "failed").await;
        events.push(id);
    }
    (wh["id"].as_str().unwrap().to_owned(), events)
}

/// The id of the latest replay shown on the endpoint page.
async fn replay_id(client: &TestClient, endpoint: &str) -> String {
    let page = client.page(&format!("/webhooks/{endpoint}")).await;
    html::between(&page.body, "hx-get=\"/replays/", "\"")
        .or_else(|| html::between(&page.body, "id=\"replay-bar-", "\""))
        .expect("the endpoint page shows a replay")
        .to_owned()
}

/// Progress as the polled fragment shows it.
struct Progress {
    status: String,
    done: i64,
    total: i64,
    polls: bool,
    body: String,
}

async fn progress(client: &TestClient, replay: &str) -> Progress {
    let resp = client
        .htmx_get(&format!("/replays/{replay}"), StatusCode::OK)
        .await;
    let b = &resp.body;
    let num = |id: &str| -> i64 {
        html::between(b, &format!("id=\"{id}\">"), "<")
            .unwrap_or_else(|| panic!("no {id} in {b}"))
            .parse()
            .unwrap()
    };
    Progress {
        status: html::between(b, "data-status=\"", "\"").unwrap().to_owned(),
        done: num("replay-done"),
        total: num("replay-total"),
        polls: b.contains("hx-trigger=\"every 1s\""),
        body: b.clone(),
    }
}

async fn wait_finished(client: &TestClient, replay: &str) -> Progress {
    wait_until(SOON, "the replay finishes", || async {
        let p = progress(client, replay).await;
        (p.status != "running").then_some(p)
    })
    .await
}

/// How many requests carried each event's id.
fn times_received(hook: &Hook, event: &str) -> usize {
    hook.hits()
        .iter()
        .filter(|h| h.header("webhook-id") == event)
        .count()
}

#[tokio::test]
async fn a_replay_sends_every_failed_delivery_again_and_reports_progress() {
    // Arrange: three deliveries failed; then the receiver is fixed.
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, events) = failed_deliveries(&env, &hook, 3).await;
    hook.set_default(Reply::status(200));
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let before = admin.page(&format!("/webhooks/{wh}")).await;
    assert!(before.body.contains("id=\"replay-form\""));
    assert!(before.body.contains("No bulk retry has been run"));

    // Act
    let started = admin
        .submit(
            &format!("/webhooks/{wh}/replays"),
            &[("preset", "1h"), ("since", "")],
            StatusCode::SEE_OTHER,
        )
        .await;
    assert_eq!(started.location(), format!("/webhooks/{wh}#replay-panel"));
    let replay = replay_id(&admin, &wh).await;
    let done = wait_finished(&admin, &replay).await;

    // Assert: all three requeued, delivered again and now succeeded.
    assert_eq!(done.status, "completed");
    assert_eq!((done.done, done.total), (3, 3));
    for event in &events {
        let dlv = env.only_delivery_id(event).await;
        let d = env.wait_status(&dlv, "succeeded").await;
        assert_eq!(d["attempts"], 2, "the first attempt is kept: {d}");
        assert_eq!(times_received(&hook, event), 2);
    }
    let settled = wait_until(SOON, "the outcomes settle", || async {
        let p = progress(&admin, &replay).await;
        (!p.polls).then_some(p)
    })
    .await;
    assert!(settled.body.contains("3 succeeded"), "{}", settled.body);
    assert!(settled.body.contains("0 failed again"));
    assert!(settled.body.contains("<progress"));
    let page = admin.page(&format!("/webhooks/{wh}")).await;
    assert!(
        page.body.contains("3 succeeded"),
        "the page shows the latest job"
    );
    assert!(page.body.contains(ADMIN_EMAIL), "who started it");
}

#[tokio::test]
async fn only_deliveries_created_since_the_given_time_are_replayed() {
    // Arrange: two old failures, then one after `since`.
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, old) = failed_deliveries(&env, &hook, 2).await;
    let ack = env.send("order.created", json!({"late": true})).await;
    let recent = ack["id"].as_str().unwrap().to_owned();
    let since = ack["created_at"].as_str().unwrap().to_owned();
    let recent_dlv = env.only_delivery_id(&recent).await;
    env.wait_status(&recent_dlv, "failed").await;
    hook.set_default(Reply::status(200));
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Act: htmx submit; the panel comes back in place, polling.
    let panel = admin
        .htmx_submit(
            &format!("/webhooks/{wh}/replays"),
            &[("since", &since), ("preset", "")],
            StatusCode::OK,
        )
        .await;
    assert!(
        panel
            .body
            .starts_with("<section class=\"card\" id=\"replay-panel\"")
    );
    let replay = replay_id(&admin, &wh).await;
    let done = wait_finished(&admin, &replay).await;

    // Assert
    assert_eq!((done.done, done.total), (1, 1));
    env.wait_status(&recent_dlv, "succeeded").await;
    assert_eq!(times_received(&hook, &recent), 2);
    for event in &old {
        let dlv = env.only_delivery_id(event).await;
        assert_eq!(env.delivery(&dlv).await["status"], "failed");
        assert_eq!(
            times_received(&hook, event),
            1,
            "older than since: not replayed"
        );
    }
}

#[tokio::test]
async fn bad_times_and_a_second_replay_while_one_runs_are_refused_with_a_message() {
    // Arrange: a slow job (one delivery per batch, 400 ms apart).
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|cfg: &mut Config| {
        cfg.replay_batch = 1;
        cfg.replay_pause = Duration::from_millis(400);
    })
    .await;
    let (wh, _) = failed_deliveries(&env, &hook, 3).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/webhooks/{wh}/replays");

    // Act + Assert: no time at all, nonsense, the future.
    for (since, message) in [
        ("", "Choose a start time"),
        ("last tuesday", "Use a date and time like"),
        ("2999-01-01T00:00", "in the future"),
    ] {
        let resp = admin
            .htmx_submit(
                &path,
                &[("since", since), ("preset", "")],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert!(resp.body.contains(message), "{since}: {}", resp.body);
        assert!(resp.body.contains("id=\"replay-since-error\""));
        assert!(
            resp.body.contains(&format!("value=\"{since}\"")),
            "the input is kept"
        );
    }
    // Without JavaScript the form comes back on a page of its own, also 422.
    let page = admin
        .submit(
            &path,
            &[("since", "nope"), ("preset", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(page.body.contains("<html") && page.body.contains("replay-since-error"));

    // A second replay while the first runs.
    admin
        .submit(&path, &[("preset", "24h")], StatusCode::SEE_OTHER)
        .await;
    let again = admin
        .htmx_submit(&path, &[("preset", "24h")], StatusCode::CONFLICT)
        .await;
    assert!(again.body.contains("already running"), "{}", again.body);
    let replay = replay_id(&admin, &wh).await;
    let done = wait_finished(&admin, &replay).await;
    assert_eq!((done.done, done.total), (3, 3));
}

#[tokio::test]
async fn viewers_see_the_progress_but_cannot_start_a_replay() {
    // Arrange
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(|_| {}).await;
    let (wh, _) = failed_deliveries(&env, &hook, 1).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = env.app.create_user(&admin, "viewer").await;
    let viewer = env.app.login(&viewer.email, &viewer.password).await;
    admin
        .submit(
            &format!("/webhooks/{wh}/replays"),
            &[("preset", "1h")],
            StatusCode::SEE_OTHER,
        )
        .await;

    // Act
    let page = viewer.page(&format!("/webhooks/{wh}")).await;
    let refused = viewer
        .submit(
            &format!("/webhooks/{wh}/replays"),
            &[("preset", "1h")],
            StatusCode::FORBIDDEN,
        )
        .await;

    // Assert
    assert!(
        page.body.contains("id=\"replay-progress\""),
        "progress is shown"
    );
    assert!(
        !page.body.contains("id=\"replay-form\""),
        "no form for viewers"
    );
    assert!(refused.body.contains("only view"));
    let replay = replay_id(&viewer, &wh).await;
    let done = wait_finished(&viewer, &replay).await;
    assert_eq!(done.total, 1);
    viewer
        .get(
            "/replays/rpl_00000000000000000000000000000000",
            StatusCode::NOT_FOUND,
        )
        .await;
}

#[tokio::test]
async fn a_running_replay_resumes_after_a_restart() {
    // Arrange: a slow job over four failed deliveries.
    let slow = |cfg: &mut Config| {
        cfg.replay_batch = 1;
        cfg.replay_pause = Duration::from_millis(500);
    };
    let hook = Hook::always(Reply::status(500)).await;
    let env = Env::start(slow).await;
    let (wh, events) = failed_deliveries(&env, &hook, 4).await;
    hook.set_default(Reply::status(200));
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    admin
        .submit(
            &format!("/webhooks/{wh}/replays"),
            &[("preset", "1h")],
            StatusCode::SEE_OTHER,
        )
        .await;
    let replay = replay_id(&admin, &wh).await;
    let partway = wait_until(SOON, "the first batch is requeued", || async {
        let p = progress(&admin, &replay).await;
        (p.done >= 1).then_some(p)
    })
    .await;
    assert_eq!(partway.status, "running");
    assert!(partway.done < 4, "still running when stopped");

    // Act: stop the app mid-job and start it again on the same data dir.
    let key = env.key.clone();
    let data = env.app.stop().await;
    let env = Env::restart(data, key, slow).await;
    let admin = env.app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let done = wait_finished(&admin, &replay).await;

    // Assert: finished, each delivery requeued once and now delivered.
    assert_eq!(done.status, "completed");
    assert_eq!((done.done, done.total), (4, 4));
    for event in &events {
        let dlv = env.only_delivery_id(event).await;
        env.wait_status(&dlv, "succeeded").await;
        assert_eq!(
            times_received(&hook, event),
            2,
            "sent once more, not twice more"
        );
    }
}
