//! Signing secrets through the API: a supplied one must be a `whsec_` key of 24–64 bytes; a
//! rotation reveals the new one once and keeps the previous one signing for a day.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hookd::timestamp::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    app_with_catalog, assert_masked_for, create, id_of, minimal, refused, secret_of, secret_of_len,
    signing_secrets, with,
};

#[tokio::test]
async fn supplied_secrets_must_be_whsec_base64_of_24_to_64_bytes() {
    let (_app, api) = app_with_catalog(|_| {}).await;
    let base = minimal("https://example.com/hooks");
    for bytes in [24, 32, 64] {
        let secret = secret_of_len(bytes);
        let created = create(&api, with(base.clone(), "secret", json!(secret))).await;
        assert_eq!(created["secret"], secret.as_str());
        let got = api
            .get(
                &format!("/api/v1/webhooks/{}", id_of(&created)),
                StatusCode::OK,
            )
            .await;
        assert_masked_for(&got, &secret);
    }
    let no_prefix = STANDARD.encode([1u8; 32]);
    for (bad, why) in [
        (secret_of_len(23), "between 24 and 64"),
        (secret_of_len(65), "between 24 and 64"),
        (no_prefix, "whsec_"),
        (format!("sk_{}", STANDARD.encode([1u8; 32])), "whsec_"),
        ("whsec_not base64!!".to_owned(), "base64"),
    ] {
        let m = refused(&api, with(base.clone(), "secret", json!(bad)), "secret").await;
        assert!(m.contains(why), "{bad}: {m}");
        assert!(!m.contains(&bad), "the message repeats the secret: {m}");
    }
}

#[tokio::test]
async fn rotation_reveals_the_new_secret_once_and_keeps_the_previous_for_a_day() {
    let (app, api) = app_with_catalog(|_| {}).await;
    let created = create(&api, minimal("https://example.com/hooks")).await;
    let id = id_of(&created);
    let first = secret_of(&created);
    assert_eq!(
        signing_secrets(app.data_dir(), &id, Timestamp::now())
            .await
            .unwrap(),
        std::slice::from_ref(&first)
    );

    let rotated = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
            ),
            StatusCode::OK,
        )
        .await;
    let second = secret_of(&rotated);
    assert_ne!(second, first);
    assert_eq!(rotated["id"], id.as_str());
    assert!(
        rotated["secret_masked"]
            .as_str()
            .unwrap()
            .ends_with(&second[second.len() - 4..])
    );
    let got = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &second);
    assert!(!got.to_string().contains(&first));

    // Both sign for 24 h, then only the new one.
    assert_eq!(
        signing_secrets(app.data_dir(), &id, Timestamp::now())
            .await
            .unwrap(),
        [second.clone(), first.clone()]
    );
    let in_23h = Timestamp::now().plus(std::time::Duration::from_secs(23 * 3600));
    assert_eq!(
        signing_secrets(app.data_dir(), &id, in_23h).await.unwrap(),
        [second.clone(), first.clone()]
    );
    let in_25h = Timestamp::now().plus(std::time::Duration::from_secs(25 * 3600));
    assert_eq!(
        signing_secrets(app.data_dir(), &id, in_25h).await.unwrap(),
        std::slice::from_ref(&second)
    );

    // Rotating again: the masked secret changes again; every secret rotated out within the
    // last 24 h keeps signing (the first one too), newest first.
    let again = api
        .send(
            api.request(
                Method::POST,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
            ),
            StatusCode::OK,
        )
        .await;
    let third = secret_of(&again);
    assert_ne!(third, second);
    let got = api
        .get(&format!("/api/v1/webhooks/{id}"), StatusCode::OK)
        .await;
    assert_masked_for(&got, &third);
    assert_eq!(
        signing_secrets(app.data_dir(), &id, Timestamp::now())
            .await
            .unwrap(),
        [third, second, first]
    );
}
