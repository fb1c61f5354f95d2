//! Signing secrets at rest: encrypted in the database, in no file of the data dir and on no
//! page; and what happens when the key file is lost.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hookd::timestamp::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    add_types, app_with_catalog, assert_masked_for, create, id_of, minimal, secret_of,
    secret_of_len, signing_secrets, with,
};
use crate::support::TestApp;

/// Every byte of every file in `dir` (the database, its WAL, the key file …).
fn all_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("data dir lists") {
        let path = entry.unwrap().path();
        if path.is_file() {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("file reads"),
            ));
        } else if path.is_dir() {
            out.extend(all_bytes(&path));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn secrets_are_stored_encrypted_and_never_shown_again() {
    let app = TestApp::spawn().await;
    let admin = app.setup_admin().await;
    let key = app.create_api_key(&admin, &["webhooks:write"]).await;
    let api = app.api(&key);
    add_types(&api, &["invoice.paid"]).await;
    let supplied = secret_of_len(40);
    let created = create(
        &api,
        with(minimal("https://example.com/a"), "secret", json!(supplied)),
    )
    .await;
    let generated_ep = create(&api, minimal("https://example.com/b")).await;
    let generated = secret_of(&generated_ep);
    let id = id_of(&generated_ep);
    let rotated = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
            ),
            StatusCode::OK,
        )
        .await;
    let rotated = secret_of(&rotated);
    // Refused secrets are not echoed either.
    let refused_secret = format!("whsec_{}", STANDARD.encode([9u8; 8]));
    let resp = api
        .post(
            "/api/v1/webhooks",
            &with(
                minimal("https://example.com/c"),
                "secret",
                json!(refused_secret),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(!resp.to_string().contains(&refused_secret), "{resp}");
    let patch = api
        .send(
            api.request(
                Method::PATCH,
                &format!("/api/v1/webhooks/{}", id_of(&created)),
            )
            .json(&json!({"secret": secret_of_len(30)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(!patch.to_string().contains(&secret_of_len(30)));

    let secrets = [supplied.clone(), generated.clone(), rotated.clone()];

    // API reads: masked only.
    let list = api.get("/api/v1/webhooks", StatusCode::OK).await;
    let one = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    for s in &secrets {
        assert!(!list.to_string().contains(s.as_str()), "list shows {s}");
        assert!(!one.to_string().contains(s.as_str()), "get shows {s}");
    }

    // At rest: neither the text nor the key bytes appear in any file of the data dir.
    let files = all_bytes(app.data_dir());
    assert!(
        files.iter().any(|(p, _)| p.ends_with("hookd.db")),
        "no hookd.db"
    );
    for s in &secrets {
        let raw = STANDARD.decode(&s["whsec_".len()..]).unwrap();
        for (path, bytes) in &files {
            assert!(
                !contains(bytes, s.as_bytes()),
                "{path} holds the secret {s}"
            );
            assert!(
                !contains(bytes, &raw),
                "{path} holds the raw key bytes of {s}"
            );
        }
    }
    let db = hookd::db::open(app.data_dir()).await.unwrap();
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
        "select e.secret_enc, p.secret_enc from endpoints e
         left join endpoint_secrets p on p.endpoint_id = e.id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    assert_eq!(rows.len(), 2);
    for (current, previous) in &rows {
        assert!(current.len() > 24, "secret_enc looks empty");
        for s in &secrets {
            assert!(!contains(current, s.as_bytes()));
            if let Some(p) = previous {
                assert!(!contains(p, s.as_bytes()));
            }
        }
    }

    // Dashboard pages (as the admin who could see everything).
    let admin = app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    for page in ["/", "/api-keys"] {
        let body = admin.page(page).await.body;
        for s in &secrets {
            assert!(!body.contains(s.as_str()), "{page} shows {s}");
        }
    }

    drop(key);
}

#[tokio::test]
async fn losing_the_key_file_keeps_the_app_up_but_old_secrets_unreadable() {
    let (app, api) = app_with_catalog(|_| {}).await;
    let created = create(&api, minimal("https://example.com/hooks")).await;
    let id = id_of(&created);
    let secret = secret_of(&created);
    let dir = app.stop().await;
    let key_file = dir.path().join("secret.key");
    let old_key = std::fs::read(&key_file).expect("the app created secret.key");
    std::fs::remove_file(&key_file).unwrap();

    let app = TestApp::spawn_in(dir, |_| {}).await;
    let new_key = std::fs::read(&key_file).expect("a new key file");
    assert_ne!(new_key, old_key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The API still answers, showing the masked secret (it is not decrypted for that).
    let admin = app
        .login(crate::support::ADMIN_EMAIL, crate::support::ADMIN_PASSWORD)
        .await;
    let api2 = app.api(&app.create_api_key(&admin, &["webhooks:write"]).await);
    drop(api);
    let got = api2
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &secret);

    // The engine's way to the secrets fails, saying why, instead of yielding none.
    let err = signing_secrets(app.data_dir(), &id, Timestamp::now())
        .await
        .expect_err("old secrets cannot be opened with the new key");
    let msg = format!("{:#}", anyhow_of(err));
    assert!(msg.contains("secret.key"), "{msg}");

    // New endpoints work with the new key.
    let fresh = create(&api2, minimal("https://example.com/fresh")).await;
    assert_eq!(
        signing_secrets(app.data_dir(), &id_of(&fresh), Timestamp::now())
            .await
            .unwrap(),
        [secret_of(&fresh)]
    );
}

fn anyhow_of(e: hookd::error::Error) -> String {
    match e {
        hookd::error::Error::Internal(inner) => format!("{inner:#}"),
        other => other.to_string(),
    }
}
