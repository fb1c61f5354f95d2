//! The one startup seam: production (`hookd serve`) and tests boot the app the same way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions_sqlx_store::SqliteStore;

use crate::config::Config;
use crate::crypto::Keyring;
use crate::db::{self, Db};
use crate::delivery;
use crate::http;
use crate::state::AppState;
use crate::users::{self, LoginThrottle, SetupToken};

pub struct App;

/// A started app. Drop does not stop it; call `shutdown`.
pub struct Running {
    addr: SocketAddr,
    public_url: String,
    setup_url: Option<String>,
    stop: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    engine_stop: CancellationToken,
    engine: JoinHandle<()>,
    db: Db,
}

impl App {
    /// Opens and migrates the database, loads the encryption key, starts background tasks and
    /// serves HTTP on `listener` until `Running::shutdown`.
    pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Running> {
        config.validate()?;
        let db = db::open_with(&config.data_dir, config.durability).await?;
        let keyring = Keyring::load_or_create(&config.data_dir, config.secret_key.as_deref())?;
        crate::self_events::seed_catalog(&db)
            .await
            .context("cannot put hookd's own event types in the catalog")?;
        delivery::metrics::handle();
        let unreadable = crate::endpoints::count_unreadable_secrets(&db, &keyring).await?;
        if unreadable > 0 {
            tracing::error!(
                endpoints = unreadable,
                "signing secrets cannot be decrypted: secret.key (or secret_key) is not the key they were \
                 written with. Deliveries to these endpoints fail (nothing is sent unsigned) until the \
                 original key is restored or their secrets are rotated"
            );
        }
        let sessions = SqliteStore::new(db::open_sessions(&config.data_dir).await?);
        sessions
            .migrate()
            .await
            .context("cannot prepare the session table")?;

        let addr = listener.local_addr()?;
        let public_url = config.public_url(addr);
        let setup = Arc::new(SetupToken::default());
        let setup_url = if users::count(&db).await? == 0 {
            let url = format!("{public_url}/setup?token={}", setup.issue());
            tracing::warn!(
                "no users yet: open {url} to create the first admin (this link works once)"
            );
            Some(url)
        } else {
            None
        };

        let stop = CancellationToken::new();
        // The engine stops after HTTP, so requests still being answered can reach it.
        let engine_stop = CancellationToken::new();
        let (delivery, engine) =
            delivery::spawn(db.clone(), keyring.clone(), &config, engine_stop.clone()).await?;
        let state = AppState {
            db: db.clone(),
            config: Arc::new(config),
            keyring,
            setup,
            login_throttle: Arc::new(LoginThrottle::default()),
            delivery,
            api_keys: Default::default(),
            public_url: public_url.as_str().into(),
        };
        spawn_housekeeping(&state, sessions.clone(), stop.clone());

        let limits = http::serve::Limits::at_start(&state.config);
        let router = http::router(state, sessions);
        let server = tokio::spawn(http::serve::serve(listener, router, limits, stop.clone()));
        tracing::info!(%addr, "hookd {} listening; dashboard at {public_url}/", env!("CARGO_PKG_VERSION"));
        Ok(Running {
            addr,
            public_url,
            setup_url,
            engine_stop,
            engine,
            stop,
            server,
            db,
        })
    }
}

/// Expired sessions, portal links and idle throttle buckets are swept until `stop`.
fn spawn_housekeeping(state: &AppState, sessions: SqliteStore, stop: CancellationToken) {
    let throttle = state.login_throttle.clone();
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {
                    throttle.forget_idle();
                    if let Err(e) = sessions.delete_expired().await {
                        tracing::warn!(error = %e, "could not delete expired sessions");
                    }
                    let now = crate::timestamp::Timestamp::now();
                    if let Err(e) = crate::portal_links::prune(&db, now).await {
                        tracing::warn!(error = %e, "could not delete expired portal links");
                    }
                }
            }
        }
    });
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// Base URL of the dashboard (from `base_url`, else the bound address).
    pub fn url(&self) -> &str {
        &self.public_url
    }
    /// The first-run setup link, present only while no user existed at start.
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }
    /// A token that stops the app when cancelled (e.g. from a signal handler).
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }
    /// Stops accepting connections, lets in-flight requests finish, then closes the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.stopped().await
    }
    /// Waits until the app stops (after `stop_token` is cancelled).
    pub async fn stopped(self) -> anyhow::Result<()> {
        let served = self.server.await;
        self.engine_stop.cancel();
        self.engine.await.context("delivery engine panicked")?;
        self.db.close().await;
        served
            .context("server task panicked")?
            .context("server failed")?;
        Ok(())
    }
}
