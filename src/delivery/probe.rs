//! Trying targets out: the SSRF check before an endpoint is saved, test sends to a saved
//! endpoint (recorded, through the normal attempt path) and one-off tests of an unsaved URL.

use std::time::Duration;

use serde_json::value::RawValue;

use super::writer::Op;
use super::{DeliveryHandle, request, ssrf};
use crate::crypto::Secret;
use crate::deliveries::NewAttempt;
use crate::error::Result;
use crate::events::{NewEvent, TEST_EVENT_TYPE};
use crate::ids::{DeliveryId, EndpointId};

/// A test event's data when the caller gives none.
const TEST_DATA: &str = r#"{"message":"This is a test event from hookd."}"#;

fn test_data() -> Box<RawValue> {
    RawValue::from_string(TEST_DATA.to_owned()).expect("static JSON")
}

impl DeliveryHandle {
    /// Resolves a URL's host and applies the SSRF policy. A name that cannot be resolved now
    /// is allowed (every attempt checks again); one resolving only to refused addresses is not.
    pub async fn check_target(&self, url: &str) -> std::result::Result<(), String> {
        let Ok(url) = url::Url::parse(url) else {
            return Err("This is not a valid URL.".into());
        };
        let Some(host) = url.host_str() else {
            return Err("The URL needs a host name.".into());
        };
        let port = url.port_or_known_default().unwrap_or(443);
        match tokio::time::timeout(
            Duration::from_secs(3),
            self.resolver.resolve_and_check(host, port),
        )
        .await
        {
            Ok(Err(ssrf::ResolveError::Blocked(b))) => Err(b.refusal()),
            _ => Ok(()),
        }
    }

    /// Sends a test event (`webhook.test`, or a catalog type) to one endpoint through the normal
    /// signed path, waits for the first attempt and returns the delivery.
    pub async fn send_test(
        &self,
        endpoint_id: &EndpointId,
        event_type: Option<String>,
        data: Option<Box<serde_json::value::RawValue>>,
    ) -> Result<DeliveryId> {
        let data = match data {
            Some(d) => d,
            None => test_data(),
        };
        let event_type = event_type
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| TEST_EVENT_TYPE.to_owned());
        let mut event = NewEvent::parse(event_type, data, None, None)?;
        // A test event belongs where its endpoint does: the tenant's history, never the team's.
        event.tenant = crate::endpoints::get(&self.shared.db, endpoint_id)
            .await?
            .tenant;
        let endpoint = endpoint_id.clone();
        let job = self
            .shared
            .writer
            .ask(|reply| Op::SendTo {
                event,
                endpoint,
                reply,
            })
            .await?;
        self.attempt_inline(&job).await?;
        Ok(job.delivery_id)
    }

    /// One signed `webhook.test` attempt to a URL that is not saved; nothing is recorded.
    pub async fn test_url(
        &self,
        url: &str,
        secret: Option<Secret>,
        tls_verify: bool,
        timeout: Duration,
    ) -> (NewAttempt, Secret) {
        let secret = secret.unwrap_or_else(Secret::generate);
        let event = NewEvent::parse(TEST_EVENT_TYPE.to_owned(), test_data(), None, None)
            .expect("static test event is valid");
        let headers = Default::default();
        let sent = request::send(
            &self.shared.clients,
            request::Request {
                url,
                msg_id: event.id.as_str(),
                event_type: TEST_EVENT_TYPE,
                body: event.body(&self.shared.wire.body),
                secrets: std::slice::from_ref(&secret),
                custom_headers: &headers,
                timeout,
                tls_verify,
                wire: &self.shared.wire,
            },
        )
        .await;
        (sent.attempt, secret)
    }
}
