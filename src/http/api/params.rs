//! The path parameters of the OpenAPI document, with the patterns the server holds them to. A
//! path with a malformed id answers 404, like an unknown one (`PathId`).
#![allow(dead_code)] // documentation only: handlers take `PathId<T>`

use utoipa::IntoParams;

/// `{id}` of an endpoint's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EndpointPath {
    /// The endpoint id, `wh_…`.
    #[param(
        pattern = r"^wh_[0-9a-f]{32}$",
        example = "wh_0193b1c2d3e47f8a9b0c1d2e3f405162"
    )]
    id: String,
}

/// `{id}` of an event.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventPath {
    /// The event id, `evt_…`.
    #[param(pattern = r"^evt_[0-9a-f]{32}$")]
    id: String,
}

/// `{id}` of a delivery.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// The delivery id, `dlv_…`.
    #[param(pattern = r"^dlv_[0-9a-f]{32}$")]
    id: String,
}

/// `{id}` of a replay job.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReplayPath {
    /// The replay id, `rpl_…`.
    #[param(pattern = r"^rpl_[0-9a-f]{32}$")]
    id: String,
}

/// `{uid}` of a tenant's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantPath {
    /// The tenant's uid: the team's own id for the customer.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,64}$", example = "cus_42")]
    uid: String,
}
