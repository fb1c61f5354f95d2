//! `TestApp`: the real app (`hookd::App::start`) on 127.0.0.1:0 with its own temp data dir.

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use hookd::{App, Config, Running};
use reqwest::StatusCode;
use tempfile::TempDir;
use tokio::net::TcpListener;

use super::client::{ApiClient, TestClient};
use super::html;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A user created for a test.
pub struct User {
    pub email: String,
    pub password: String,
}

pub struct TestApp {
    running: Running,
    /// Kept so the data dir lives exactly as long as the app.
    data_dir: TempDir,
}

impl TestApp {
    /// The app on defaults, except that deliveries may go to local http receivers.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Like `spawn`, with `adjust` applied to the config last.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp data dir");
        TestApp::spawn_in(data_dir, adjust).await
    }

    /// Starts the app on an existing data dir (e.g. one the CLI prepared).
    pub async fn spawn_in(data_dir: TempDir, adjust: impl FnOnce(&mut Config)) -> TestApp {
        init_tracing();
        let mut config = Config {
            listen: ([127, 0, 0, 1], 0).into(),
            data_dir: data_dir.path().to_owned(),
            allow_http_targets: true,
            allow_private_targets: true,
            ..Config::default()
        };
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let running = App::start(config, listener).await.expect("the app starts");
        TestApp { running, data_dir }
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        self.running.url()
    }

    /// The bound address as a URL, whatever `base_url` says (e.g. an https one nothing serves).
    pub fn local_url(&self) -> String {
        format!("http://{}", self.running.addr())
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The one-time setup path (`/setup?token=…`) printed while no user exists.
    pub fn setup_path(&self) -> String {
        let url = self
            .running
            .setup_url()
            .expect("a fresh app offers a setup URL");
        url.strip_prefix(self.url())
            .expect("setup URL is on the app")
            .to_owned()
    }

    /// A fresh browser-like client (no cookies yet).
    pub fn client(&self) -> TestClient {
        TestClient::new(self.url())
    }

    /// An /api/v1 client sending `key` as a Bearer token.
    pub fn api(&self, key: &str) -> ApiClient {
        ApiClient::new(self.url(), Some(key))
    }

    /// An /api/v1 client sending no key.
    pub fn api_anonymous(&self) -> ApiClient {
        ApiClient::new(self.url(), None)
    }

    /// Creates the first admin through the setup page; returns that admin's signed-in client.
    pub async fn setup_admin(&self) -> TestClient {
        let client = self.client();
        let form = client.page(&self.setup_path()).await;
        let token = html::between(&form.body, r#"name="token" value=""#, "\"")
            .expect("setup form carries the token")
            .to_owned();
        let csrf = form.csrf_token();
        let done = client
            .post_form(
                "/setup",
                &[
                    ("token", &token),
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("password_confirm", ADMIN_PASSWORD),
                    ("csrf_token", &csrf),
                ],
                StatusCode::SEE_OTHER,
            )
            .await;
        assert_eq!(done.location(), "/");
        client
    }

    /// A signed-in client for the given user.
    pub async fn login(&self, email: &str, password: &str) -> TestClient {
        let client = self.client();
        client.login(email, password).await;
        client
    }

    /// Adds a user with `role` ("admin" or "viewer") through the Users page as `admin`.
    pub async fn create_user(&self, admin: &TestClient, role: &str) -> User {
        let user = User {
            email: format!("{role}-{}@example.com", unique()),
            password: format!("{role} password 123"),
        };
        let resp = admin
            .submit(
                "/users",
                &[
                    ("email", &user.email),
                    ("password", &user.password),
                    ("role", role),
                ],
                StatusCode::SEE_OTHER,
            )
            .await;
        assert_eq!(resp.location(), "/users");
        user
    }

    /// Creates an API key with `scopes` through the API keys page as `admin`; returns the
    /// plaintext `hk_…` key revealed once.
    pub async fn create_api_key(&self, admin: &TestClient, scopes: &[&str]) -> String {
        let name = format!("key-{}", unique());
        let mut fields = vec![("name", name.as_str())];
        fields.extend(scopes.iter().map(|s| ("scopes", *s)));
        let page = admin.submit("/api-keys", &fields, StatusCode::OK).await;
        let key = html::revealed_api_key(&page.body);
        assert!(key.starts_with("hk_"), "unexpected key {key}");
        key
    }

    /// Like `shutdown`, but hands back the data dir so a test can start the app on it again.
    pub async fn stop_keeping_data(self) -> TempDir {
        let TestApp { running, data_dir } = self;
        tokio::time::timeout(Duration::from_secs(15), running.shutdown())
            .await
            .expect("shutdown finishes in time")
            .expect("shutdown succeeds");
        data_dir
    }

    /// Stops the server and closes the database, as a SIGTERM would.
    pub async fn shutdown(self) {
        drop(self.stop().await);
    }

    /// Like `shutdown`, but hands back the data dir so a test can change it and start again
    /// (`spawn_in`).
    pub async fn stop(self) -> TempDir {
        let TestApp { running, data_dir } = self;
        tokio::time::timeout(Duration::from_secs(10), running.shutdown())
            .await
            .expect("shutdown finishes in time")
            .expect("shutdown succeeds");
        data_dir
    }
}

/// A short unique suffix for names within one app.
fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Logs go to the test output only when `TEST_LOG` is set (zero2prod's helper).
fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let filter = if filter.is_empty() || filter == "1" {
                "info".to_owned()
            } else {
                filter
            };
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}
