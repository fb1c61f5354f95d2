//! Configuration: every setting is a flag, a `HOOKD_…` environment variable and a key of an
//! optional TOML file (precedence: flag > env > file > default). Defaults live in
//! `Config::default()` and are repeated in each flag's help text.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::retry_schedule::RetrySchedule;
use crate::wire::{BodyFields, WireFormat};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// When a commit counts as stored: `full` syncs every commit to stable storage before anything
/// in it is acknowledged; `os` hands it to the operating system only (survives a crash of hookd,
/// not an OS crash or power loss, which can take the last commits with them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    #[default]
    Full,
    Os,
}

/// The settings as given by flags, env or file: all optional, merged field by field.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "HOOKD_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Directory for the database and the encryption key file [default: ./hookd-data]
    #[arg(long, env = "HOOKD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Public URL of the dashboard, used in links and to mark cookies Secure when https
    /// [default: http://LISTEN]
    #[arg(long, env = "HOOKD_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Allow plain http:// endpoint URLs [default: false]
    #[arg(long, env = "HOOKD_ALLOW_HTTP_TARGETS", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub allow_http_targets: Option<bool>,
    /// Allow endpoints on loopback, private, link-local and similar addresses [default: false]
    #[arg(long, env = "HOOKD_ALLOW_PRIVATE_TARGETS", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub allow_private_targets: Option<bool>,
    /// Largest accepted API request body in bytes [default: 262144]
    #[arg(long, env = "HOOKD_MAX_PAYLOAD_BYTES", global = true)]
    pub max_payload_bytes: Option<usize>,
    /// Days to keep deliveries and attempts [default: 30]
    #[arg(long, env = "HOOKD_RETENTION_DAYS", global = true)]
    pub retention_days: Option<u32>,
    /// Most delivery attempts in flight at once, across all endpoints [default: 64]
    #[arg(long, env = "HOOKD_DELIVERY_CONCURRENCY", global = true)]
    pub delivery_concurrency: Option<usize>,
    /// Log format: text or json [default: text]
    #[arg(long, env = "HOOKD_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// Log filter, as in RUST_LOG [default: info]
    #[arg(long, env = "HOOKD_LOG_LEVEL", global = true)]
    pub log_level: Option<String>,
    /// Base64 of a 32-byte key that encrypts signing secrets at rest; when unset, hookd creates
    /// `<data_dir>/secret.key` (mode 0600) on first start [default: unset]
    #[arg(long, env = "HOOKD_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Delays before each retry, e.g. "30s,5m,30m,2h,5h,10h"; the last step repeats
    /// [default: 30s,5m,30m,2h,5h,10h]
    #[arg(long, env = "HOOKD_RETRY_SCHEDULE", global = true)]
    pub retry_schedule: Option<String>,
    /// Most attempts in flight at once to any one endpoint [default: 16]
    #[arg(long, env = "HOOKD_ENDPOINT_CONCURRENCY", global = true)]
    pub endpoint_concurrency: Option<usize>,
    /// Seconds of inactivity after which a dashboard session expires [default: 43200]
    #[arg(long, env = "HOOKD_SESSION_TIMEOUT_SECONDS", global = true)]
    pub session_timeout_seconds: Option<u64>,
    /// When an acknowledged event is safe: full (each commit synced to disk before its 202) or
    /// os (written to the OS only; an OS crash or power loss can lose the last commits)
    /// [default: full]
    #[arg(long, env = "HOOKD_DURABILITY", global = true)]
    pub durability: Option<Durability>,
    /// Seconds a client may take to send a request's headers, and to start the next request
    /// on a kept-alive HTTP/1 connection [default: 10]
    #[arg(long, env = "HOOKD_HEADER_READ_TIMEOUT_SECONDS", global = true)]
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a connection may stay open with no request in progress [default: 60]
    #[arg(long, env = "HOOKD_IDLE_TIMEOUT_SECONDS", global = true)]
    pub idle_timeout_seconds: Option<u64>,
    /// Most client connections open at once; when full, the longest-idle one is closed for a
    /// new one (lowered at start to fit the open-file limit) [default: 1024]
    #[arg(long, env = "HOOKD_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<usize>,
    /// Header carrying the hex HMAC-SHA256 of the raw body [default: X-Webhook-Signature]
    #[arg(long, env = "HOOKD_SIGNATURE_HEADER", global = true)]
    pub signature_header: Option<String>,
    /// Text sent before the hex signature, e.g. "sha256=" [default: empty]
    #[arg(long, env = "HOOKD_SIGNATURE_PREFIX", global = true)]
    pub signature_prefix: Option<String>,
    /// Header carrying the event type [default: X-Webhook-Event]
    #[arg(long, env = "HOOKD_EVENT_HEADER", global = true)]
    pub event_header: Option<String>,
    /// Header carrying the event id [default: X-Webhook-Id]
    #[arg(long, env = "HOOKD_ID_HEADER", global = true)]
    pub id_header: Option<String>,
    /// User-Agent of deliveries [default: hookd/<version>]
    #[arg(long, env = "HOOKD_USER_AGENT", global = true,
          help = concat!("User-Agent of deliveries [default: hookd/", env!("CARGO_PKG_VERSION"), "]"))]
    pub user_agent: Option<String>,
    /// Also send the Standard Webhooks headers webhook-id, webhook-timestamp and
    /// webhook-signature [default: true]
    #[arg(long, env = "HOOKD_STANDARD_WEBHOOKS", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub standard_webhooks: Option<bool>,
    /// Body field holding the event id; empty leaves it out [default: id]
    #[arg(long, env = "HOOKD_BODY_ID_FIELD", global = true)]
    pub body_id_field: Option<String>,
    /// Body field holding the event type [default: type]
    #[arg(long, env = "HOOKD_BODY_TYPE_FIELD", global = true)]
    pub body_type_field: Option<String>,
    /// Body field holding the event's creation time (RFC 3339 UTC) [default: timestamp]
    #[arg(long, env = "HOOKD_BODY_TIMESTAMP_FIELD", global = true)]
    pub body_timestamp_field: Option<String>,
    /// Body field holding the event's data [default: data]
    #[arg(long, env = "HOOKD_BODY_DATA_FIELD", global = true)]
    pub body_data_field: Option<String>,
    /// Reverse proxies (CIDRs, e.g. "127.0.0.1/32,::1/128") whose X-Forwarded-For names the
    /// client, for the login throttle and the logs [default: none: the peer address is the client]
    #[arg(
        long,
        env = "HOOKD_TRUSTED_PROXIES",
        global = true,
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,
    /// The portal's product name, shown to tenants instead of hookd [default: Webhooks]
    #[arg(long, env = "HOOKD_PORTAL_PRODUCT_NAME", global = true)]
    pub portal_product_name: Option<String>,
    /// The portal's accent colour, #rrggbb [default: #4338ca]
    #[arg(long, env = "HOOKD_PORTAL_ACCENT_COLOR", global = true)]
    pub portal_accent_color: Option<String>,
    /// An https:// URL of the logo the portal shows beside the product name [default: none]
    #[arg(long, env = "HOOKD_PORTAL_LOGO_URL", global = true)]
    pub portal_logo_url: Option<String>,
    /// Where the portal's "Support" link leads (https:// or mailto:) [default: none]
    #[arg(long, env = "HOOKD_PORTAL_SUPPORT_URL", global = true)]
    pub portal_support_url: Option<String>,
    /// Origins that may embed the portal in an iframe, e.g. "https://app.example.com"
    /// (CSP frame-ancestors on /portal only) [default: none: the portal cannot be framed]
    #[arg(
        long,
        env = "HOOKD_PORTAL_FRAME_ANCESTORS",
        global = true,
        value_delimiter = ','
    )]
    pub portal_frame_ancestors: Option<Vec<String>>,
}

impl Settings {
    /// Field-wise `self` over `lower`.
    pub fn over(self, lower: Settings) -> Settings {
        Settings {
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            base_url: self.base_url.or(lower.base_url),
            allow_http_targets: self.allow_http_targets.or(lower.allow_http_targets),
            allow_private_targets: self.allow_private_targets.or(lower.allow_private_targets),
            max_payload_bytes: self.max_payload_bytes.or(lower.max_payload_bytes),
            retention_days: self.retention_days.or(lower.retention_days),
            delivery_concurrency: self.delivery_concurrency.or(lower.delivery_concurrency),
            log_format: self.log_format.or(lower.log_format),
            log_level: self.log_level.or(lower.log_level),
            secret_key: self.secret_key.or(lower.secret_key),
            session_timeout_seconds: self
                .session_timeout_seconds
                .or(lower.session_timeout_seconds),
            retry_schedule: self.retry_schedule.or(lower.retry_schedule),
            endpoint_concurrency: self.endpoint_concurrency.or(lower.endpoint_concurrency),
            durability: self.durability.or(lower.durability),
            header_read_timeout_seconds: self
                .header_read_timeout_seconds
                .or(lower.header_read_timeout_seconds),
            idle_timeout_seconds: self.idle_timeout_seconds.or(lower.idle_timeout_seconds),
            max_connections: self.max_connections.or(lower.max_connections),
            signature_header: self.signature_header.or(lower.signature_header),
            signature_prefix: self.signature_prefix.or(lower.signature_prefix),
            event_header: self.event_header.or(lower.event_header),
            id_header: self.id_header.or(lower.id_header),
            user_agent: self.user_agent.or(lower.user_agent),
            standard_webhooks: self.standard_webhooks.or(lower.standard_webhooks),
            body_id_field: self.body_id_field.or(lower.body_id_field),
            body_type_field: self.body_type_field.or(lower.body_type_field),
            body_timestamp_field: self.body_timestamp_field.or(lower.body_timestamp_field),
            body_data_field: self.body_data_field.or(lower.body_data_field),
            trusted_proxies: self.trusted_proxies.or(lower.trusted_proxies),
            portal_product_name: self.portal_product_name.or(lower.portal_product_name),
            portal_accent_color: self.portal_accent_color.or(lower.portal_accent_color),
            portal_logo_url: self.portal_logo_url.or(lower.portal_logo_url),
            portal_support_url: self.portal_support_url.or(lower.portal_support_url),
            portal_frame_ancestors: self.portal_frame_ancestors.or(lower.portal_frame_ancestors),
        }
    }

    pub fn from_toml_file(path: &Path) -> anyhow::Result<Settings> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

/// The resolved configuration the app runs with.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub base_url: Option<url::Url>,
    pub allow_http_targets: bool,
    pub allow_private_targets: bool,
    pub max_payload_bytes: usize,
    pub retention_days: u32,
    pub delivery_concurrency: usize,
    pub log_format: LogFormat,
    pub log_level: String,
    pub secret_key: Option<String>,
    pub session_timeout: Duration,
    pub retry_schedule: RetrySchedule,
    pub endpoint_concurrency: usize,
    pub durability: Durability,
    /// Client connections: see `http::serve`.
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// Header names, User-Agent and body field names of deliveries.
    pub wire: WireFormat,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How the tenant portal looks and who may frame it.
    pub portal: PortalSettings,
    /// Names resolved without DNS (tests: this sandbox has no DNS). Not a CLI setting.
    pub dns_overrides: HashMap<String, Vec<IpAddr>>,
    /// How fast bulk replays requeue: deliveries per write transaction and the pause between
    /// batches, so a large replay never holds up ingest. Not a CLI setting (tests slow it down).
    pub replay_batch: u32,
    pub replay_pause: Duration,
    /// Makes the engine's next commits fail, to test how hookd rides out a failing store. Not a
    /// CLI setting (tests only; inert until armed).
    pub commit_faults: CommitFaults,
}

/// A test hook: while armed, the delivery engine's commits fail (and are rolled back) as if
/// the disk were full. Clones share one counter.
#[derive(Clone, Default)]
pub struct CommitFaults(std::sync::Arc<std::sync::atomic::AtomicU32>);

impl CommitFaults {
    /// The next `n` commits fail.
    pub fn fail_next(&self, n: u32) {
        self.0.store(n, std::sync::atomic::Ordering::SeqCst);
    }
    /// Commits succeed again.
    pub fn clear(&self) {
        self.fail_next(0);
    }
    /// Faults still to come.
    pub fn remaining(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// Takes one fault if armed: true when this commit must fail.
    pub fn take(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.0
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("base_url", &self.base_url.as_ref().map(|u| u.as_str()))
            .field("allow_http_targets", &self.allow_http_targets)
            .field("allow_private_targets", &self.allow_private_targets)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("retention_days", &self.retention_days)
            .field("delivery_concurrency", &self.delivery_concurrency)
            .field("durability", &self.durability)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("wire", &self.wire)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("portal", &self.portal)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./hookd-data"),
            base_url: None,
            allow_http_targets: false,
            allow_private_targets: false,
            max_payload_bytes: 256 * 1024,
            retention_days: 30,
            delivery_concurrency: 64,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            secret_key: None,
            session_timeout: Duration::from_secs(12 * 3600),
            retry_schedule: RetrySchedule::default(),
            endpoint_concurrency: 16,
            durability: Durability::Full,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            wire: WireFormat::default(),
            trusted_proxies: Vec::new(),
            portal: PortalSettings::default(),
            dns_overrides: HashMap::new(),
            replay_batch: 100,
            replay_pause: Duration::from_millis(20),
            commit_faults: CommitFaults::default(),
        }
    }
}

impl Config {
    /// Applies settings over the defaults and validates them; errors name the bad key.
    pub fn from_settings(s: Settings) -> anyhow::Result<Config> {
        let d = Config::default();
        let base_url = match s.base_url {
            None => None,
            Some(raw) => {
                let u = url::Url::parse(&raw)
                    .map_err(|e| anyhow::anyhow!("base_url: {raw:?} is not a URL ({e})"))?;
                if !matches!(u.scheme(), "http" | "https") {
                    bail!("base_url: must start with http:// or https://");
                }
                Some(u)
            }
        };
        let config = Config {
            listen: s.listen.unwrap_or(d.listen),
            data_dir: s.data_dir.unwrap_or(d.data_dir),
            base_url,
            allow_http_targets: s.allow_http_targets.unwrap_or(d.allow_http_targets),
            allow_private_targets: s.allow_private_targets.unwrap_or(d.allow_private_targets),
            max_payload_bytes: s.max_payload_bytes.unwrap_or(d.max_payload_bytes),
            retention_days: s.retention_days.unwrap_or(d.retention_days),
            delivery_concurrency: s.delivery_concurrency.unwrap_or(d.delivery_concurrency),
            log_format: s.log_format.unwrap_or(d.log_format),
            log_level: s.log_level.unwrap_or(d.log_level),
            secret_key: s.secret_key,
            session_timeout: s
                .session_timeout_seconds
                .map(Duration::from_secs)
                .unwrap_or(d.session_timeout),
            retry_schedule: match s.retry_schedule {
                None => d.retry_schedule,
                Some(text) => RetrySchedule::parse(&text)
                    .map_err(|e| anyhow::anyhow!("retry_schedule: {e}"))?,
            },
            endpoint_concurrency: s.endpoint_concurrency.unwrap_or(d.endpoint_concurrency),
            durability: s.durability.unwrap_or(d.durability),
            header_read_timeout: s
                .header_read_timeout_seconds
                .map_or(d.header_read_timeout, Duration::from_secs),
            idle_timeout: s
                .idle_timeout_seconds
                .map_or(d.idle_timeout, Duration::from_secs),
            max_connections: s.max_connections.unwrap_or(d.max_connections),
            wire: WireFormat {
                signature_header: s.signature_header.unwrap_or(d.wire.signature_header),
                signature_prefix: s.signature_prefix.unwrap_or(d.wire.signature_prefix),
                event_header: s.event_header.unwrap_or(d.wire.event_header),
                id_header: s.id_header.unwrap_or(d.wire.id_header),
                user_agent: s.user_agent.unwrap_or(d.wire.user_agent),
                standard_webhooks: s.standard_webhooks.unwrap_or(d.wire.standard_webhooks),
                body: BodyFields {
                    id: s.body_id_field.unwrap_or(d.wire.body.id),
                    event_type: s.body_type_field.unwrap_or(d.wire.body.event_type),
                    timestamp: s.body_timestamp_field.unwrap_or(d.wire.body.timestamp),
                    data: s.body_data_field.unwrap_or(d.wire.body.data),
                },
            },
            trusted_proxies: match s.trusted_proxies {
                None => d.trusted_proxies,
                Some(list) => {
                    parse_cidrs(&list).map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?
                }
            },
            portal: PortalSettings {
                product_name: s
                    .portal_product_name
                    .map(|n| n.trim().to_owned())
                    .unwrap_or(d.portal.product_name),
                accent_color: match s.portal_accent_color {
                    None => d.portal.accent_color,
                    Some(c) => parse_color(&c).ok_or_else(|| {
                        anyhow::anyhow!("portal_accent_color: {c:?} is not a colour like #1f6feb")
                    })?,
                },
                logo_url: s
                    .portal_logo_url
                    .filter(|u| !u.is_empty())
                    .map(|u| {
                        parse_url(&u, &["https"])
                            .map_err(|e| anyhow::anyhow!("portal_logo_url: {e}"))
                    })
                    .transpose()?,
                support_url: s
                    .portal_support_url
                    .filter(|u| !u.is_empty())
                    .map(|u| {
                        parse_url(&u, &["https", "http", "mailto"])
                            .map_err(|e| anyhow::anyhow!("portal_support_url: {e}"))
                    })
                    .transpose()?,
                frame_ancestors: match s.portal_frame_ancestors {
                    None => d.portal.frame_ancestors,
                    Some(list) => parse_origins(&list)
                        .map_err(|e| anyhow::anyhow!("portal_frame_ancestors: {e}"))?,
                },
                session_max: d.portal.session_max,
            },
            dns_overrides: d.dns_overrides,
            replay_batch: d.replay_batch,
            replay_pause: d.replay_pause,
            commit_faults: d.commit_faults,
        };
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.max_payload_bytes < 1024 || self.max_payload_bytes > 64 * 1024 * 1024 {
            bail!("max_payload_bytes: must be between 1024 and 67108864");
        }
        if self.retention_days == 0 || self.retention_days > 3650 {
            bail!("retention_days: must be between 1 and 3650");
        }
        if self.delivery_concurrency == 0 || self.delivery_concurrency > 4096 {
            bail!("delivery_concurrency: must be between 1 and 4096");
        }
        if self.endpoint_concurrency == 0 || self.endpoint_concurrency > self.delivery_concurrency {
            bail!("endpoint_concurrency: must be between 1 and delivery_concurrency");
        }
        if self.session_timeout.is_zero() {
            bail!("session_timeout_seconds: must be at least 1");
        }
        if !(1..=3600).contains(&self.header_read_timeout.as_secs()) {
            bail!("header_read_timeout_seconds: must be between 1 and 3600");
        }
        if !(1..=86400).contains(&self.idle_timeout.as_secs()) {
            bail!("idle_timeout_seconds: must be between 1 and 86400");
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            bail!("max_connections: must be between 1 and 1000000");
        }
        self.wire.validate()?;
        if self.portal.product_name.is_empty()
            || self.portal.product_name.chars().count() > 80
            || self.portal.product_name.chars().any(char::is_control)
        {
            bail!("portal_product_name: use 1 to 80 characters, no control characters");
        }
        Ok(())
    }

    /// Public base URL without trailing slash.
    pub fn public_url(&self, actual: SocketAddr) -> String {
        match &self.base_url {
            Some(u) => u.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{actual}"),
        }
    }

    pub fn cookies_secure(&self) -> bool {
        self.base_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

/// The tenant portal's branding and embedding.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub product_name: String,
    /// `#rrggbb`, lowercase.
    pub accent_color: String,
    pub logo_url: Option<url::Url>,
    pub support_url: Option<url::Url>,
    /// Origins allowed in CSP `frame-ancestors` on /portal; empty: `'none'`.
    pub frame_ancestors: Vec<String>,
    /// The longest a portal session lasts from entry. Not a CLI setting (tests shorten it).
    pub session_max: Duration,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            product_name: "Webhooks".into(),
            accent_color: "#4338ca".into(),
            logo_url: None,
            support_url: None,
            frame_ancestors: Vec::new(),
            // `portal_links::SESSION_MAX` (config is a leaf: it imports no domain module).
            session_max: Duration::from_secs(12 * 3600),
        }
    }
}

/// `#rrggbb` (lowercased), or nothing.
fn parse_color(s: &str) -> Option<String> {
    let hex = s.trim().strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

fn parse_url(s: &str, schemes: &[&str]) -> Result<url::Url, String> {
    let u = url::Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a URL ({e})"))?;
    if !schemes.contains(&u.scheme()) {
        return Err(format!("{s:?} must start with {}:", schemes.join(": or ")));
    }
    Ok(u)
}

/// Origins for `frame-ancestors`: `https://host[:port]`, or `http://localhost[:port]` (for
/// development); no paths, wildcards or quotes (they would widen or break the policy).
fn parse_origins(list: &[String]) -> Result<Vec<String>, String> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let bad = || format!("{s:?} is not an origin like https://app.example.com");
            let u = url::Url::parse(s).map_err(|_| bad())?;
            let local = u.scheme() == "http"
                && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if !(u.scheme() == "https" || local)
                || u.host_str().is_none_or(|h| h.contains('*'))
                || !u.username().is_empty()
                || u.path() != "/"
                || u.query().is_some()
                || u.fragment().is_some()
                || s.trim_end_matches('/').len() != u.origin().ascii_serialization().len()
            {
                return Err(bad());
            }
            Ok(u.origin().ascii_serialization())
        })
        .collect()
}

/// CIDRs; a bare address is its own /32 or /128. Blank entries (a trailing comma) are skipped.
fn parse_cidrs(list: &[String]) -> Result<Vec<ipnet::IpNet>, String> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{s:?} is not a CIDR such as 10.0.0.0/8 or ::1/128"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults_fill_the_rest() {
        let file: Settings =
            toml::from_str("retention_days = 7\nlisten = \"127.0.0.1:9000\"").unwrap();
        let flags = Settings {
            retention_days: Some(3),
            ..Default::default()
        };
        let c = Config::from_settings(flags.over(file)).unwrap();
        assert_eq!(c.retention_days, 3);
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.max_payload_bytes, 262_144);
    }

    #[test]
    fn durability_defaults_to_full_and_takes_os_from_the_file() {
        assert_eq!(Config::default().durability, Durability::Full);
        let file: Settings = toml::from_str("durability = \"os\"").unwrap();
        let c = Config::from_settings(file).unwrap();
        assert_eq!(c.durability, Durability::Os);
        assert!(toml::from_str::<Settings>("durability = \"sometimes\"").is_err());
    }

    #[test]
    fn unknown_file_keys_and_bad_values_name_the_key() {
        assert!(toml::from_str::<Settings>("retention_dayz = 7").is_err());
        let err = Config::from_settings(Settings {
            retention_days: Some(0),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("retention_days:"));
    }

    #[test]
    fn wire_settings_come_from_the_file_and_bad_ones_name_their_key() {
        let file: Settings = toml::from_str(
            "signature_header = \"X-VPN-Signature\"\nsignature_prefix = \"sha256=\"\n\
             standard_webhooks = false\nbody_id_field = \"\"\nbody_type_field = \"event\"",
        )
        .unwrap();
        let c = Config::from_settings(file).unwrap();
        assert_eq!(c.wire.signature_header, "X-VPN-Signature");
        assert_eq!(c.wire.signature_prefix, "sha256=");
        assert!(!c.wire.standard_webhooks);
        assert_eq!(c.wire.body.id, "");
        assert_eq!(c.wire.body.event_type, "event");
        assert_eq!(c.wire.body.data, "data");
        assert_eq!(c.wire.event_header, "X-Webhook-Event");

        for (settings, key) in [
            (
                Settings {
                    signature_header: Some("Content-Length".into()),
                    ..Default::default()
                },
                "signature_header:",
            ),
            (
                Settings {
                    body_data_field: Some(String::new()),
                    ..Default::default()
                },
                "body_data_field:",
            ),
            (
                Settings {
                    body_timestamp_field: Some("type".into()),
                    ..Default::default()
                },
                "body_timestamp_field:",
            ),
        ] {
            let err = Config::from_settings(settings).unwrap_err().to_string();
            assert!(err.starts_with(key), "{err}");
        }
    }

    #[test]
    fn portal_branding_is_validated_and_each_bad_value_names_its_key() {
        let file: Settings = toml::from_str(
            "portal_product_name = \"Acme\"\nportal_accent_color = \"#AA00ff\"\n\
             portal_logo_url = \"https://cdn.example.com/logo.svg\"\n\
             portal_frame_ancestors = [\"https://app.example.com\", \"http://localhost:3000\"]",
        )
        .unwrap();
        let c = Config::from_settings(file).unwrap();
        assert_eq!(c.portal.product_name, "Acme");
        assert_eq!(c.portal.accent_color, "#aa00ff");
        assert_eq!(
            c.portal.frame_ancestors,
            ["https://app.example.com", "http://localhost:3000"]
        );
        for (toml, key) in [
            ("portal_accent_color = \"red\"", "portal_accent_color:"),
            ("portal_accent_color = \"#12345\"", "portal_accent_color:"),
            (
                "portal_logo_url = \"http://x.example/l.png\"",
                "portal_logo_url:",
            ),
            (
                "portal_frame_ancestors = [\"*\"]",
                "portal_frame_ancestors:",
            ),
            (
                "portal_frame_ancestors = [\"http://app.example.com\"]",
                "portal_frame_ancestors:",
            ),
            (
                "portal_frame_ancestors = [\"https://app.example.com/x\"]",
                "portal_frame_ancestors:",
            ),
            (
                "portal_frame_ancestors = [\"https://a.example.com 'unsafe-inline'\"]",
                "portal_frame_ancestors:",
            ),
            ("portal_product_name = \" \"", "portal_product_name:"),
        ] {
            let err = Config::from_settings(toml::from_str(toml).unwrap())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(key), "{toml}: {err}");
        }
    }

    #[test]
    fn trusted_proxies_take_cidrs_and_bare_addresses_and_a_bad_one_names_the_key() {
        let file: Settings = toml::from_str("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]").unwrap();
        let c = Config::from_settings(file).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.trusted_proxies[1].contains(&"::1".parse::<IpAddr>().unwrap()));
        let err = Config::from_settings(Settings {
            trusted_proxies: Some(vec!["10.0.0.0/33".into()]),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("trusted_proxies:"), "{err}");
    }
}
