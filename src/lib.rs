//! hookd: a self-hosted webhook sender in one binary.
//!
//! Imports point down, never up:
//! - leaves: `ids`, `error`, `config`, `timestamp`, and the pure policies `ssrf` (which
//!   addresses may be targets), `retry_schedule` and `wire` (header and body field names of
//!   deliveries); `db` and `crypto` use only leaves;
//! - domain: `tenants` (below the others: they use its `Visibility`), `endpoints`,
//!   `event_types`, `events`, `deliveries`, `self_events`, `replays`, `stats`, `users`,
//!   `api_keys` — types, rules and the SQL of the tables each owns; they never import
//!   `delivery`, `http`, `state` or `app`, nor axum, askama or reqwest;
//! - `delivery`: the engine (group-commit writer, dispatcher, attempts, reqwest); callers hold
//!   a `DeliveryHandle` only;
//! - `http`: the JSON API (`http::api`) and the dashboard (`http::ui`), which never import
//!   each other; `state` is what their handlers share. The tenant portal is the dashboard's
//!   endpoint screens mounted again under `/portal` (`http::ui::portal`), one set of handlers
//!   for both, told apart by who is looking (`Viewer`: everything, or one tenant);
//! - `app` wires it all together; `cli` uses `app`, `config` and the domain.
#![forbid(unsafe_code)]

/// API keys: creation (shown once), hashed lookup, scopes, revocation.
pub mod api_keys;
/// Startup seam: `App::start(config, listener)`.
pub mod app;
/// Command line: serve, user, api-key, migrate.
pub mod cli;
/// Settings from flags, env and TOML, with defaults and validation.
pub mod config;
/// Signing secrets, encryption at rest, tokens, hashing.
pub mod crypto;
/// SQLite pool, pragmas and embedded migrations.
pub mod db;
/// Deliveries and attempts: records, history queries, stats.
pub mod deliveries;
/// The delivery engine: group-commit writer, dispatcher, signing, sending, retention.
pub mod delivery;
/// Endpoints: validation, storage, encrypted secrets, subscription matching.
pub mod endpoints;
/// The domain error type.
pub mod error;
/// The event-type catalog.
pub mod event_types;
/// Events: ingest validation, storage, the webhook body.
pub mod events;
/// HTTP: the JSON API, the dashboard and static assets.
pub mod http;
/// Prefixed typed ids.
pub mod ids;
/// Portal links: one-time URLs into a tenant's portal (hashed at rest, opened once).
pub mod portal_links;
/// Bulk replay jobs: retry an endpoint's failed deliveries since a time, in the background.
pub mod replays;
/// When to retry a failed attempt: the schedule, jitter and `Retry-After` (pure).
pub mod retry_schedule;
/// Events about hookd itself (`hookd.endpoint.disabled`, `hookd.delivery.failed`): payloads,
/// catalog entries and the rule that keeps them from looping.
pub mod self_events;
/// SSRF classification: which addresses a webhook may be sent to (pure).
pub mod ssrf;
/// Shared handler state.
pub mod state;
/// Hourly per-endpoint roll-ups: stats, sparklines, response-time histograms.
pub mod stats;
/// Tenants: the team's customers, and the boundary between them (`Visibility`, `Owned`).
pub mod tenants;
/// Millisecond timestamps.
pub mod timestamp;
/// Dashboard users, passwords, setup token and login throttle.
pub mod users;
/// The wire format: header names, User-Agent and body field names of deliveries (pure).
pub mod wire;

pub use app::{App, Running};
pub use config::Config;
