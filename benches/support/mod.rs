//! What the benchmarks share: the dashboard user they seed and sign in as, and percentiles.
#![allow(dead_code)] // each benchmark uses part of it

pub const EMAIL: &str = "bench@example.com";
pub const PASSWORD: &str = "bench password 123";

/// A client signed in to the dashboard at `url` as the seeded admin (cookies kept).
pub async fn sign_in(url: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{url}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("login form token")
        .to_owned();
    let resp = client
        .post(format!("{url}/login"))
        .form(&[
            ("email", EMAIL),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "sign-in failed");
    client
}

/// The `p` percentile of microsecond samples, in milliseconds.
pub fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1] as f64 / 1000.0
}
