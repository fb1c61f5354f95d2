//! What every request handler can reach.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::Keyring;
use crate::db::Db;
use crate::delivery::DeliveryHandle;
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
}
