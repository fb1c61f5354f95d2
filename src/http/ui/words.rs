//! Small pieces of wording the templates share: the article before a word, and a response's
//! status said once ("HTTP 500 Internal Server Error", not "HTTP 500 · HTTP 500 …").

use std::borrow::Borrow;

/// "a" or "an" before `word`, by how it is said: an invoice.paid, a user.created, an hour.
pub fn article(word: &str) -> &'static str {
    let w = word.trim_start().to_ascii_lowercase();
    // Vowel letters said with a consonant sound, and a silent h.
    const A: [&str; 6] = ["uni", "use", "usa", "uti", "eu", "one"];
    const AN: [&str; 3] = ["hour", "honest", "honor"];
    if AN.iter().any(|p| w.starts_with(p)) {
        return "an";
    }
    if A.iter().any(|p| w.starts_with(p)) {
        return "a";
    }
    match w.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// `HTTP 500 Internal Server Error` (the number alone for codes without a standard reason).
pub fn http_status(code: impl Borrow<i64>) -> String {
    let code = *code.borrow();
    match reason(code) {
        Some(r) => format!("HTTP {code} {r}"),
        None => format!("HTTP {code}"),
    }
}

/// The standard reason phrase of a status code ("Internal Server Error" for 500).
pub fn reason(code: impl Borrow<i64>) -> Option<&'static str> {
    u16::try_from(*code.borrow())
        .ok()
        .and_then(|c| http::StatusCode::from_u16(c).ok())
        .and_then(|s| s.canonical_reason())
}

/// What an error says beyond the status line shown beside it: `None` for "HTTP 500 Internal
/// Server Error" next to a 500, "redirect to … not followed" for a 301's longer message.
pub fn beyond_status(code: impl Borrow<Option<i64>>, error: Option<&str>) -> Option<String> {
    let code = *code.borrow();
    let error = error?.trim();
    let Some(code) = code else {
        return Some(error.to_owned());
    };
    let rest = [http_status(code), format!("HTTP {code}")]
        .iter()
        .find_map(|line| error.strip_prefix(line.as_str()))
        .map(|r| r.trim_start_matches(':').trim());
    match rest {
        Some("") => None,
        Some(r) => Some(r.to_owned()),
        None => Some(error.to_owned()),
    }
}

/// An attempt's error kind worth a badge (timeout, dns, connect, …): the status and redirect
/// kinds only repeat the status line.
pub fn kind_badge(kind: Option<&str>) -> Option<&str> {
    kind.filter(|k| !matches!(*k, "status" | "redirect"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_article_follows_the_sound() {
        assert_eq!(article("invoice.paid"), "an");
        assert_eq!(article("order.created"), "an");
        assert_eq!(article("user.created"), "a");
        assert_eq!(article("webhook.test"), "a");
        assert_eq!(article("hour.tick"), "an");
    }

    #[test]
    fn a_status_is_said_once() {
        assert_eq!(http_status(500), "HTTP 500 Internal Server Error");
        assert_eq!(http_status(299), "HTTP 299");
        assert_eq!(
            beyond_status(Some(500), Some("HTTP 500 Internal Server Error")),
            None
        );
        assert_eq!(beyond_status(Some(500), Some("HTTP 500")), None);
        assert_eq!(
            beyond_status(
                Some(301),
                Some("HTTP 301 Moved Permanently: redirect to /x not followed")
            )
            .as_deref(),
            Some("redirect to /x not followed")
        );
        assert_eq!(
            beyond_status(None, Some("connection refused")).as_deref(),
            Some("connection refused")
        );
        assert_eq!(beyond_status(Some(200), None), None);
    }
}
