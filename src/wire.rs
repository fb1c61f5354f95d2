//! The wire format: which header names, User-Agent and body field names a delivery uses, so a
//! team that already documents a webhook contract keeps it (DESIGN.md, "Your contract on the
//! wire"). Pure and a leaf: `config` parses it, the delivery engine, the webhook body and the
//! dashboard's snippets read it.

/// The User-Agent hookd sends unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("hookd/", env!("CARGO_PKG_VERSION"));

/// Headers hookd sets itself or that only make sense per connection (lowercase): neither a
/// wire setting nor an endpoint's custom header may use them.
pub const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "user-agent",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// The Standard Webhooks names, whose meaning that spec fixes.
const STANDARD_HEADERS: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// Longest header value hookd accepts for the prefix and the User-Agent.
const MAX_VALUE_LEN: usize = 256;
/// Longest body field name.
const MAX_FIELD_LEN: usize = 64;

/// How deliveries look on the wire, install-wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFormat {
    /// Header carrying the hex HMAC-SHA256 of the raw body.
    pub signature_header: String,
    /// Text before the hex digest in `signature_header`, e.g. `sha256=`; may be empty.
    pub signature_prefix: String,
    /// Header carrying the event type.
    pub event_header: String,
    /// Header carrying the event id.
    pub id_header: String,
    pub user_agent: String,
    /// Also send `webhook-id`, `webhook-timestamp` and `webhook-signature`.
    pub standard_webhooks: bool,
    pub body: BodyFields,
}

/// The webhook body's field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFields {
    /// Empty: the body has no id field.
    pub id: String,
    pub event_type: String,
    pub timestamp: String,
    pub data: String,
}

impl Default for WireFormat {
    fn default() -> Self {
        WireFormat {
            signature_header: "X-Webhook-Signature".into(),
            signature_prefix: String::new(),
            event_header: "X-Webhook-Event".into(),
            id_header: "X-Webhook-Id".into(),
            user_agent: DEFAULT_USER_AGENT.into(),
            standard_webhooks: true,
            body: BodyFields::default(),
        }
    }
}

impl Default for BodyFields {
    fn default() -> Self {
        BodyFields {
            id: "id".into(),
            event_type: "type".into(),
            timestamp: "timestamp".into(),
            data: "data".into(),
        }
    }
}

/// A bad wire setting: the key (as in the TOML file) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct WireError {
    pub key: &'static str,
    pub message: String,
}

fn bad(key: &'static str, message: impl Into<String>) -> WireError {
    WireError {
        key,
        message: message.into(),
    }
}

impl WireFormat {
    /// Checks every setting; the error names the first bad key.
    pub fn validate(&self) -> Result<(), WireError> {
        let headers = [
            ("signature_header", &self.signature_header),
            ("event_header", &self.event_header),
            ("id_header", &self.id_header),
        ];
        for (i, (key, name)) in headers.iter().enumerate() {
            check_header_name(key, name)?;
            if let Some((other, _)) = headers[..i]
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(name))
            {
                return Err(bad(key, format!("{name:?} is already used by {other}")));
            }
        }
        check_value("signature_prefix", &self.signature_prefix)?;
        if self
            .signature_prefix
            .bytes()
            .any(|b| b == b' ' || b"\"'`\\".contains(&b))
        {
            return Err(bad(
                "signature_prefix",
                "must not contain spaces, quotes or backslashes",
            ));
        }
        if self.user_agent.trim().is_empty() {
            return Err(bad("user_agent", "must not be empty"));
        }
        check_value("user_agent", &self.user_agent)?;
        self.body.validate()
    }

    /// The header names hookd sets on every delivery (lowercase), for keeping custom headers
    /// from replacing them.
    pub fn own_headers(&self) -> Vec<String> {
        let mut names: Vec<String> = ["content-type", "user-agent"]
            .into_iter()
            .map(str::to_owned)
            .chain(
                [&self.signature_header, &self.event_header, &self.id_header]
                    .into_iter()
                    .map(|n| n.to_ascii_lowercase()),
            )
            .collect();
        if self.standard_webhooks {
            names.extend(STANDARD_HEADERS.map(str::to_owned));
        }
        names
    }
}

impl BodyFields {
    fn validate(&self) -> Result<(), WireError> {
        let fields = [
            ("body_id_field", &self.id),
            ("body_type_field", &self.event_type),
            ("body_timestamp_field", &self.timestamp),
            ("body_data_field", &self.data),
        ];
        for (i, (key, name)) in fields.iter().enumerate() {
            if name.is_empty() {
                if *key == "body_id_field" {
                    continue; // no id in the body
                }
                return Err(bad(key, "must not be empty"));
            }
            if name.len() > MAX_FIELD_LEN
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            {
                return Err(bad(
                    key,
                    format!(
                        "{name:?} must be 1 to {MAX_FIELD_LEN} letters, digits, '_', '-' or '.'"
                    ),
                ));
            }
            if let Some((other, _)) = fields[..i].iter().find(|(_, n)| n == name) {
                return Err(bad(key, format!("{name:?} is already used by {other}")));
            }
        }
        Ok(())
    }

    /// The webhook body: the id (unless omitted), type and timestamp fields in sorted key
    /// order, then the data field last with `data` spliced in byte for byte. With the default
    /// names that is `{"id":…,"timestamp":…,"type":…,"data":…}`, the bytes hookd has always
    /// sent (they came from `serde_json::json!`, whose map sorts its keys).
    pub fn render(&self, id: &str, event_type: &str, timestamp: &str, data: &str) -> String {
        let mut head = vec![
            (self.event_type.as_str(), event_type),
            (self.timestamp.as_str(), timestamp),
        ];
        if !self.id.is_empty() {
            head.push((self.id.as_str(), id));
        }
        head.sort_unstable_by_key(|(name, _)| *name);
        let mut body = String::with_capacity(data.len() + 128);
        body.push('{');
        for (name, value) in head {
            body.push_str(&json_string(name));
            body.push(':');
            body.push_str(&json_string(value));
            body.push(',');
        }
        body.push_str(&json_string(&self.data));
        body.push(':');
        body.push_str(data);
        body.push('}');
        body
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// RFC 9110 token characters: what a header name may be made of.
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_header_name(key: &'static str, name: &str) -> Result<(), WireError> {
    if !is_token(name) {
        return Err(bad(key, format!("{name:?} is not a valid header name")));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str())
        || STANDARD_HEADERS.contains(&lower.as_str())
        || lower.starts_with("proxy-")
    {
        return Err(bad(
            key,
            format!("{name} is reserved (set by hookd or hop-by-hop)"),
        ));
    }
    Ok(())
}

/// A header value: visible ASCII and spaces only, no longer than `MAX_VALUE_LEN`.
fn check_value(key: &'static str, value: &str) -> Result<(), WireError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(bad(key, format!("must be at most {MAX_VALUE_LEN} bytes")));
    }
    if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(bad(
            key,
            "must be printable ASCII (no control characters or line breaks)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(wire: WireFormat) -> &'static str {
        wire.validate().expect_err("refused").key
    }

    #[test]
    fn the_defaults_are_valid_and_render_todays_body_bytes() {
        let wire = WireFormat::default();
        wire.validate().unwrap();
        assert_eq!(
            wire.body.render(
                "evt_1",
                "invoice.paid",
                "2026-01-15T12:30:00.000Z",
                r#"{"b": 1,  "a":[1.50]}"#
            ),
            r#"{"id":"evt_1","timestamp":"2026-01-15T12:30:00.000Z","type":"invoice.paid","data":{"b": 1,  "a":[1.50]}}"#
        );
    }

    #[test]
    fn renamed_fields_sort_and_an_empty_id_is_left_out() {
        let body = BodyFields {
            id: String::new(),
            event_type: "event".into(),
            ..BodyFields::default()
        };
        assert_eq!(
            body.render("evt_1", "a.b", "T", "{}"),
            r#"{"event":"a.b","timestamp":"T","data":{}}"#
        );
        let body = BodyFields {
            timestamp: "created_at".into(),
            data: "payload".into(),
            ..BodyFields::default()
        };
        assert_eq!(
            body.render("evt_\"1", "a.b", "T", "{}"),
            r#"{"created_at":"T","id":"evt_\"1","type":"a.b","payload":{}}"#
        );
    }

    #[test]
    fn header_names_must_be_tokens_and_not_reserved() {
        for (name, key) in [
            ("X Bad", "signature_header"),
            ("", "signature_header"),
            ("Content-Type", "signature_header"),
            ("webhook-signature", "signature_header"),
            ("Connection", "signature_header"),
            ("Proxy-Anything", "signature_header"),
        ] {
            let wire = WireFormat {
                signature_header: name.into(),
                ..WireFormat::default()
            };
            assert_eq!(key_of(wire), key, "{name:?}");
        }
        let wire = WireFormat {
            event_header: "user-agent".into(),
            ..WireFormat::default()
        };
        assert_eq!(key_of(wire), "event_header");
        let wire = WireFormat {
            id_header: "Transfer-Encoding".into(),
            ..WireFormat::default()
        };
        assert_eq!(key_of(wire), "id_header");
        let wire = WireFormat {
            signature_header: "X-Authorization-HMAC-256".into(),
            ..WireFormat::default()
        };
        wire.validate().unwrap();
    }

    #[test]
    fn two_settings_cannot_share_a_header_or_a_field() {
        let wire = WireFormat {
            id_header: "x-webhook-EVENT".into(),
            ..WireFormat::default()
        };
        let err = wire.validate().unwrap_err();
        assert_eq!(err.key, "id_header");
        assert!(err.to_string().contains("event_header"), "{err}");
        let mut wire = WireFormat::default();
        wire.body.data = "type".into();
        assert_eq!(key_of(wire), "body_data_field");
        let mut wire = WireFormat::default();
        wire.body.timestamp = "id".into();
        assert_eq!(key_of(wire), "body_timestamp_field");
    }

    #[test]
    fn fields_are_non_empty_except_the_id() {
        let mut wire = WireFormat::default();
        wire.body.id = String::new();
        wire.validate().unwrap();
        for field in ["type", "timestamp", "data"] {
            let mut wire = WireFormat::default();
            match field {
                "type" => wire.body.event_type.clear(),
                "timestamp" => wire.body.timestamp.clear(),
                _ => wire.body.data.clear(),
            }
            assert_eq!(key_of(wire), format!("body_{field}_field"));
        }
        let mut wire = WireFormat::default();
        wire.body.event_type = "ty\"pe".into();
        assert_eq!(key_of(wire), "body_type_field");
    }

    #[test]
    fn prefix_and_user_agent_are_plain_header_text() {
        let ok = WireFormat {
            signature_prefix: "sha256=".into(),
            user_agent: "PlainProxies-Webhook/1.0".into(),
            ..WireFormat::default()
        };
        ok.validate().unwrap();
        for prefix in ["sha256=\n", "a\"b", "two words"] {
            let wire = WireFormat {
                signature_prefix: prefix.into(),
                ..WireFormat::default()
            };
            assert_eq!(key_of(wire), "signature_prefix", "{prefix:?}");
        }
        for ua in ["", "  ", "bot/1\r\nX-Evil: 1", "ünï"] {
            let wire = WireFormat {
                user_agent: ua.into(),
                ..WireFormat::default()
            };
            assert_eq!(key_of(wire), "user_agent", "{ua:?}");
        }
    }

    #[test]
    fn own_headers_follow_the_settings() {
        let wire = WireFormat {
            signature_header: "X-VPN-Signature".into(),
            standard_webhooks: false,
            ..WireFormat::default()
        };
        let own = wire.own_headers();
        assert!(own.contains(&"x-vpn-signature".to_owned()));
        assert!(!own.contains(&"webhook-signature".to_owned()));
        assert!(
            WireFormat::default()
                .own_headers()
                .contains(&"webhook-id".to_owned())
        );
    }
}
