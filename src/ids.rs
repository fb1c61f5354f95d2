//! Prefixed, typed identifiers (`wh_…`, `evt_…`): a UUIDv7 in lowercase hex, so ids sort by
//! creation time and a wrong kind of id is refused by `parse`.

/// An id that names one kind of object; a path with a malformed or unknown one is a 404 for
/// that object.
pub trait ObjectId: serde::de::DeserializeOwned + Send + 'static {
    /// As in "endpoint not found".
    const OBJECT: &'static str;
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal, $object:literal) => {
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }
            /// Accepts only this kind's prefix followed by 32 hex digits.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?;
                (rest.len() == 32
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
                .then(|| Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The smallest id that could have been generated at or after `unix_ms` (UUIDv7
            /// starts with the millisecond timestamp), for index range scans by time.
            pub fn floor_at(unix_ms: i64) -> Self {
                Self(format!(
                    "{}{:012x}{}",
                    $prefix,
                    unix_ms.clamp(0, 0xffff_ffff_ffff),
                    "0".repeat(20)
                ))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(concat!("expected an id starting with ", $prefix))
                })
            }
        }

        impl ObjectId for $name {
            const OBJECT: &'static str = $object;
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(UserId, "usr_", "user");
prefixed_id!(ApiKeyId, "key_", "API key");
prefixed_id!(EndpointId, "wh_", "endpoint");
prefixed_id!(EventId, "evt_", "event");
prefixed_id!(DeliveryId, "dlv_", "delivery");
prefixed_id!(AttemptId, "att_", "attempt");
prefixed_id!(ReplayId, "rpl_", "replay");
prefixed_id!(TenantId, "tn_", "tenant");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_other_prefixes_do_not() {
        let id = EndpointId::generate();
        assert!(id.as_str().starts_with("wh_"));
        assert_eq!(EndpointId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(EventId::parse(id.as_str()), None);
        assert_eq!(EndpointId::parse("wh_123"), None);
        assert_eq!(EndpointId::parse(&id.as_str().to_uppercase()), None);
    }

    #[test]
    fn floor_at_sorts_with_ids_generated_at_that_time() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let id = EventId::generate();
        assert!(EventId::floor_at(before).as_str() <= id.as_str());
        assert!(EventId::parse(EventId::floor_at(before).as_str()).is_some());
        assert!(EventId::floor_at(before + 60_000).as_str() > id.as_str());
    }

    #[test]
    fn ids_sort_by_creation() {
        let a = EventId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = EventId::generate();
        assert!(a < b);
    }
}
