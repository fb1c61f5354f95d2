//! The delivery engine: signs, sends, retries and records outbound webhooks.
//!
//! For now this holds the pure building blocks (signing, retry schedule, SSRF policy); the
//! engine itself (`spawn(state) -> DeliveryHandle`, worker, request, prune) comes next.

pub mod schedule;
pub mod signature;
pub mod ssrf;
