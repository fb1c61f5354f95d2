//! What every black-box test needs: the real app on a random port with its own temp data dir
//! (`TestApp`), a client that keeps cookies like a browser (`TestClient`), a real HTTP receiver
//! for deliveries (`Receiver`), HTML scraping for forms, and polling with a deadline.
//!
//! Shared with `tests/browser` through `#[path]`, so it must not depend on anything in `tests/it`.

mod app;
pub mod bin;
mod client;
mod clock;
pub mod html;
mod receiver;
mod wait;

pub use app::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
pub use client::{ApiClient, TestClient, TestResponse};
pub use clock::datetime_local;
pub use receiver::Receiver;
pub use wait::{assert_quiet_for, wait_until, wait_until_backoff};
