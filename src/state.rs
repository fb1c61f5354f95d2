//! What every request handler can reach.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::Keyring;
use crate::db::Db;
use crate::users::{LoginThrottle, SetupToken};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keyring: Keyring,
    pub setup: Arc<SetupToken>,
    pub login_throttle: Arc<LoginThrottle>,
}

impl crate::endpoints::TargetPolicy for AppState {
    fn rules(&self) -> crate::endpoints::TargetRules {
        crate::endpoints::TargetRules {
            allow_http: self.config.allow_http_targets,
            allow_private: self.config.allow_private_targets,
        }
    }

    /// Resolves a target URL's host and applies the SSRF policy to every address.
    async fn check(&self, _url: &str) -> Result<(), String> {
        Ok(()) // wired to delivery::ssrf when the engine lands
    }
}
