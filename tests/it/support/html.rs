//! Just enough HTML scraping for server-rendered forms: askama output is regular, so string
//! search is clearer here than a DOM parser.

/// The text between the first `start` and the next `end`.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// The value of the page's hidden `csrf_token` input.
pub fn csrf_token(html: &str) -> String {
    let token = between(html, r#"name="csrf_token" value=""#, "\"")
        .unwrap_or_else(|| panic!("no csrf_token input in page:\n{html}"));
    assert!(!token.is_empty(), "empty csrf_token in page:\n{html}");
    token.to_owned()
}

/// The API key revealed once after creating it on the API keys page.
pub fn revealed_api_key(html: &str) -> String {
    let key = between(html, r#"id="new-key">"#, "<")
        .unwrap_or_else(|| panic!("no revealed API key in page:\n{html}"));
    key.trim().to_owned()
}

/// The table row (`<tr …>…</tr>`) that contains `needle`.
pub fn row_containing<'a>(html: &'a str, needle: &str) -> Option<&'a str> {
    html.split("<tr").skip(1).find(|row| row.contains(needle))
}

/// The `{id}` of the first form in `fragment` whose action is `{prefix}{id}{suffix}`, e.g.
/// `form_action_id(row, "/users/", "/role")`.
pub fn form_action_id(fragment: &str, prefix: &str, suffix: &str) -> Option<String> {
    let start = format!(r#"action="{prefix}"#);
    let end = format!(r#"{suffix}""#);
    between(fragment, &start, &end).map(str::to_owned)
}
