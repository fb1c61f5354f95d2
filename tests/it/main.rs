//! Black-box tests: each starts the real app on a random port with its own temp data dir and
//! talks HTTP to it (or runs the real binary). One test binary, so it links once.

mod api_event_types;
mod api_events;
mod api_keys;
mod api_openapi;
mod api_webhooks;
mod auth;
mod cli;
mod csrf;
mod delivery_contracts;
mod delivery_crash;
mod delivery_fanout;
mod delivery_kit;
mod delivery_retention;
mod delivery_retries;
mod delivery_shutdown;
mod delivery_signing;
mod harness;
mod pages;
mod roles;
mod setup;
mod startup;
mod support;
mod ui_deliveries;
mod ui_endpoint_page;
mod ui_endpoints;
mod ui_events;
mod ui_htmx_errors;
mod ui_overview;
mod ui_replays;
