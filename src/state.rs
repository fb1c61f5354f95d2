//! What every request handler can reach.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::Keyring;
use crate::db::Db;
use crate::delivery::DeliveryHandle;
use crate::endpoints::{TargetPolicy, TargetRules};
use crate::users::{LoginThrottle, SetupToken};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keyring: Keyring,
    pub setup: Arc<SetupToken>,
    pub login_throttle: Arc<LoginThrottle>,
    pub delivery: DeliveryHandle,
    pub api_keys: Arc<crate::api_keys::KeyCache>,
    /// `base_url` without a trailing slash, else `http://` + the bound address: absolute links.
    pub public_url: Arc<str>,
}

/// Endpoint validation reads the configured rules and asks the engine's resolver about the
/// host; implemented here so the engine never needs to know `AppState`.
impl TargetPolicy for AppState {
    fn rules(&self) -> TargetRules {
        TargetRules {
            allow_http: self.config.allow_http_targets,
            allow_private: self.config.allow_private_targets,
        }
    }

    async fn check(&self, url: &str) -> std::result::Result<(), String> {
        if self.config.allow_private_targets {
            return Ok(());
        }
        self.delivery.check_target(url).await
    }
}
