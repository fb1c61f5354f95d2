//! Every dashboard address in one place (kanidm's `Urls`): routers, redirects, `HX-Push-Url`
//! and links built in handlers use these, so a moved page is one edit.

use std::fmt::Display;

pub const OVERVIEW: &str = "/";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const SETUP: &str = "/setup";
pub const ENDPOINTS: &str = "/webhooks";
pub const NEW_ENDPOINT: &str = "/webhooks/new";
pub const EVENTS: &str = "/events";
pub const EVENT_TYPES: &str = "/event-types";
pub const API_KEYS: &str = "/api-keys";
pub const USERS: &str = "/users";
pub const TENANTS: &str = "/tenants";
pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_PASSWORD: &str = "/account/password";

/// The login page that sends the user on to `next` (a path on this site) afterwards.
pub fn login_then(next: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("{LOGIN}?next={next}")
}

pub fn endpoint(id: impl Display) -> String {
    format!("{ENDPOINTS}/{id}")
}

pub fn endpoint_deliveries(id: impl Display) -> String {
    format!("{ENDPOINTS}/{id}/deliveries")
}

pub fn tenant(uid: impl Display) -> String {
    format!("{TENANTS}/{uid}")
}

pub fn delivery(id: impl Display) -> String {
    format!("/deliveries/{id}")
}

/// `path` with a query string (none when `qs` is empty).
pub fn with_query(path: &str, qs: &str) -> String {
    if qs.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{qs}")
    }
}

/// `key=value&…`, percent-encoded.
pub fn query(pairs: &[(&str, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_queries_are_built_and_encoded() {
        assert_eq!(endpoint_deliveries("wh_1"), "/webhooks/wh_1/deliveries");
        assert_eq!(
            login_then("/webhooks?a=1"),
            "/login?next=%2Fwebhooks%3Fa%3D1"
        );
        assert_eq!(with_query(EVENTS, ""), "/events");
        assert_eq!(
            with_query(EVENTS, &query(&[("type", "a b".into())])),
            "/events?type=a+b"
        );
    }
}
