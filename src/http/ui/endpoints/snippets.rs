//! Receiver snippets on the endpoint page: code in four languages that verifies hookd's
//! signatures, with this endpoint's name and the header names, signature prefix and body
//! fields deliveries use (the wire settings).

use askama::Template;

use crate::endpoints::Endpoint;
use crate::error::Error;
use crate::wire::WireFormat;

/// The environment variable the snippets read the secret from.
pub const SECRET_ENV: &str = "HOOKD_WEBHOOK_SECRET";

/// The Standard Webhooks header names (fixed by that spec; src/delivery/request.rs).
const H_ID: &str = "webhook-id";
const H_TS: &str = "webhook-timestamp";
const H_SIG: &str = "webhook-signature";

macro_rules! snippet {
    ($name:ident, $path:literal) => {
        // Every snippet gets the same names; each uses the headers its scheme needs.
        #[allow(dead_code)]
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        struct $name<'a> {
            endpoint: &'a str,
            env: &'a str,
            h_id: &'a str,
            h_ts: &'a str,
            h_sig: &'a str,
            h_hex: &'a str,
            prefix: &'a str,
            f_id: &'a str,
            f_type: &'a str,
        }
    };
}
snippet!(PythonStandard, "snippets/python_standard.txt");
snippet!(PythonHmac, "snippets/python_hmac.txt");
snippet!(NodeStandard, "snippets/node_standard.txt");
snippet!(NodeHmac, "snippets/node_hmac.txt");
snippet!(GoStandard, "snippets/go_standard.txt");
snippet!(GoHmac, "snippets/go_hmac.txt");
snippet!(RustStandard, "snippets/rust_standard.txt");
snippet!(RustHmac, "snippets/rust_hmac.txt");

pub struct Snippet {
    /// `python-standard`, …: the element id suffix.
    pub key: String,
    pub variant: &'static str,
    pub code: String,
}

pub struct Language {
    pub name: &'static str,
    pub snippets: Vec<Snippet>,
}

/// The snippets for `e` as `wire` sends; without the Standard Webhooks headers, only the plain
/// HMAC ones.
pub fn verify_panel(e: &Endpoint, wire: &WireFormat) -> Result<Vec<Language>, Error> {
    let endpoint = if e.spec.name.is_empty() {
        e.id.to_string()
    } else {
        format!("{} ({})", e.spec.name, e.id)
    };
    // Node.js lowercases header names; the others look them up case-insensitively.
    let h_hex = wire.signature_header.to_ascii_lowercase();
    macro_rules! render {
        ($t:ident) => {
            $t {
                endpoint: &endpoint,
                env: SECRET_ENV,
                h_id: H_ID,
                h_ts: H_TS,
                h_sig: H_SIG,
                h_hex: &h_hex,
                prefix: &wire.signature_prefix,
                f_id: &wire.body.id,
                f_type: &wire.body.event_type,
            }
            .render()
            .map_err(|e| Error::Internal(e.into()))?
        };
    }
    let pair = |lang: &str, standard: String, hmac: String| {
        let standard = Snippet {
            key: format!("{lang}-standard"),
            variant: "Standard Webhooks library",
            code: standard,
        };
        let hmac = Snippet {
            key: format!("{lang}-hmac"),
            variant: "Plain HMAC-SHA256",
            code: hmac,
        };
        if wire.standard_webhooks {
            vec![standard, hmac]
        } else {
            vec![hmac]
        }
    };
    Ok(vec![
        Language {
            name: "Python",
            snippets: pair("python", render!(PythonStandard), render!(PythonHmac)),
        },
        Language {
            name: "Node.js",
            snippets: pair("node", render!(NodeStandard), render!(NodeHmac)),
        },
        Language {
            name: "Go",
            snippets: pair("go", render!(GoStandard), render!(GoHmac)),
        },
        Language {
            name: "Rust",
            snippets: pair("rust", render!(RustStandard), render!(RustHmac)),
        },
    ])
}
