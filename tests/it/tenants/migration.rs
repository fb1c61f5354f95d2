//! A data dir from before tenants (migrations up to 0010, written here with the old schema)
//! upgrades in place: its endpoints, events and keys become the team's and keep working.

use std::str::FromStr;

use hookd::crypto::{Keyring, Secret};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;

use crate::delivery_kit::Hook;
use crate::support::TestApp;

const LAST_BEFORE_TENANTS: &str = "0010";
const KEY: &str = "hk_pre_tenant_key_0123456789abcdefghijklmnopqrstuv";

/// The migrations a data dir had before tenants existed.
fn old_migrations() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name[..4] <= *LAST_BEFORE_TENANTS {
            std::fs::copy(&path, dir.path().join(name)).unwrap();
        }
    }
    dir
}

#[tokio::test]
async fn a_data_dir_from_before_tenants_upgrades_and_its_rows_become_the_teams() {
    // Arrange: the old schema with an endpoint, an event with an idempotency key and a key.
    let data = tempfile::tempdir().unwrap();
    let hook = Hook::ok().await;
    let opts = SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(data.path().join(hookd::db::DB_FILE))
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    let migrations = old_migrations();
    sqlx::migrate::Migrator::new(migrations.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let keyring = Keyring::load_or_create(data.path(), None).unwrap();
    let secret = Secret::generate();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let endpoint = format!("wh_{}", "1".repeat(32));
    let event = format!("evt_{}", "2".repeat(32));
    sqlx::query(
        "insert into event_types (name, created_at, updated_at) values ('invoice.paid', ?1, ?1)",
    )
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into endpoints (id, name, url, description, events, enabled, headers, retry_count,
             timeout_seconds, tls_verify, secret_enc, secret_hint, created_at, updated_at)
         values (?1, 'old', ?2, '', '[\"*\"]', 1, '{}', 4, 10, 1, ?3, 'abcd', ?4, ?4)",
    )
    .bind(&endpoint)
    .bind(hook.url())
    .bind(keyring.encrypt(secret.expose().as_bytes()))
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into events (id, type, data, idempotency_key, created_at) values (?1, 'invoice.paid', '{}', 'old-key', ?2)",
    )
    .bind(&event)
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into api_keys (id, name, prefix, key_hash, scopes, created_at) values (?1, 'old', 'hk_pre_ten', ?2, 'all', ?3)",
    )
    .bind(format!("key_{}", "3".repeat(32)))
    .bind(hookd::crypto::sha256_hex(KEY))
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // Act
    let app = TestApp::spawn_in(data, |_| {}).await;
    let api = app.api(KEY);
    let listed = api.get("/api/v1/webhooks", StatusCode::OK).await;
    let repeat = api
        .post(
            "/api/v1/events",
            &json!({"type": "invoice.paid", "data": {}, "idempotency_key": "old-key"}),
            StatusCode::OK,
        )
        .await;
    let fresh = api
        .post(
            "/api/v1/events",
            &json!({"type": "invoice.paid", "data": {"new": true}}),
            StatusCode::ACCEPTED,
        )
        .await;
    let hits = hook.wait_for(1).await;

    // Assert
    assert_eq!(listed["data"][0]["id"], endpoint.as_str(), "{listed}");
    assert_eq!(listed["data"][0]["tenant"], serde_json::Value::Null);
    assert_eq!(
        repeat["id"],
        event.as_str(),
        "the old idempotency key still answers"
    );
    assert_eq!(fresh["deliveries"], 1, "{fresh}");
    assert_eq!(hits[0].json()["data"]["new"], true);
    assert_eq!(
        api.get(&format!("/api/v1/events/{event}"), StatusCode::OK)
            .await["tenant"],
        serde_json::Value::Null
    );
}
