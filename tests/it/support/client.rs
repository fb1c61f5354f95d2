//! HTTP clients that state the status they expect (svix's `TestClient`): `TestClient` for the
//! dashboard (cookie jar, redirects off, CSRF-aware forms) and `ApiClient` for /api/v1.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{COOKIE, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde_json::Value;

use super::html;

/// A browser-like client: keeps cookies, never follows redirects (tests assert them).
#[derive(Clone)]
pub struct TestClient {
    http: reqwest::Client,
    jar: Option<Arc<Jar>>,
    base: Url,
}

/// A response read to the end, so tests can assert on status, headers and body together.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    /// The `Location` header of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location header in {self:?}"))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
    pub fn csrf_token(&self) -> String {
        html::csrf_token(&self.body)
    }
}

impl TestClient {
    pub fn new(base: &str) -> TestClient {
        let jar = Arc::new(Jar::default());
        let http = builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("test client builds");
        TestClient {
            http,
            jar: Some(jar),
            base: Url::parse(base).expect("base URL parses"),
        }
    }

    /// A client without a jar that sends exactly `cookie` on every request, e.g. a session
    /// cookie captured earlier (a jar would drop it once its Max-Age passes, hiding whether the
    /// server itself still accepts it).
    pub fn replaying(base: &str, cookie: &str) -> TestClient {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(cookie).expect("cookie header"),
        );
        let http = builder()
            .default_headers(headers)
            .build()
            .expect("test client builds");
        TestClient {
            http,
            jar: None,
            base: Url::parse(base).expect("base URL parses"),
        }
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("path joins the base URL")
    }

    /// The `Cookie` header this client would send to the app now.
    pub fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.as_ref()?;
        jar.cookies(&self.base)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// The value of the `hookd_session` cookie, if the client holds one.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie_header()?
            .split("; ")
            .find_map(|c| c.strip_prefix("hookd_session="))
            .map(str::to_owned)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Sends `req` without judging the answer.
    pub async fn fetch(&self, req: RequestBuilder) -> TestResponse {
        let resp = req.send().await.expect("request reaches the app");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("response body reads");
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// Sends `req` and asserts the status.
    pub async fn send(&self, req: RequestBuilder, expect: StatusCode) -> TestResponse {
        let (client, req) = req.build_split();
        let req = req.expect("request builds");
        let what = format!("{} {}", req.method(), req.url().path());
        let resp = self.fetch(RequestBuilder::from_parts(client, req)).await;
        assert_eq!(
            resp.status, expect,
            "{what} answered {}, expected {expect}; body:\n{}",
            resp.status, resp.body
        );
        resp
    }

    pub async fn get(&self, path: &str, expect: StatusCode) -> TestResponse {
        self.send(self.request(Method::GET, path), expect).await
    }

    /// A GET as htmx sends it (`HX-Request: true`); asserts the status.
    pub async fn htmx_get(&self, path: &str, expect: StatusCode) -> TestResponse {
        self.send(
            self.request(Method::GET, path).header("HX-Request", "true"),
            expect,
        )
        .await
    }

    /// A form POST as htmx sends it: `HX-Request: true` and the session's token in
    /// `X-CSRF-Token` (base.html's `hx-headers`); asserts the status.
    pub async fn htmx_submit(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        expect: StatusCode,
    ) -> TestResponse {
        let token = self.csrf().await;
        let req = self
            .request(Method::POST, path)
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .form(fields);
        self.send(req, expect).await
    }

    /// A page that must render (200).
    pub async fn page(&self, path: &str) -> TestResponse {
        self.get(path, StatusCode::OK).await
    }

    /// POSTs a urlencoded form exactly as given (no token added).
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        expect: StatusCode,
    ) -> TestResponse {
        self.send(self.request(Method::POST, path).form(fields), expect)
            .await
    }

    /// The session's form token, read from a page as a browser would.
    pub async fn csrf(&self) -> String {
        // Signed-in users are sent on from /login; every dashboard page carries the token.
        let login = self.fetch(self.request(Method::GET, "/login")).await;
        if login.status == StatusCode::OK {
            return login.csrf_token();
        }
        self.page("/").await.csrf_token()
    }

    /// POSTs a form with this session's `csrf_token` added, like submitting it in a browser.
    pub async fn submit(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        expect: StatusCode,
    ) -> TestResponse {
        let token = self.csrf().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(path, &all, expect).await
    }

    /// Signs in through the login form; asserts the redirect to the dashboard.
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        let resp = self
            .submit(
                "/login",
                &[("email", email), ("password", password)],
                StatusCode::SEE_OTHER,
            )
            .await;
        assert_eq!(resp.location(), "/");
        resp
    }
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
}

/// A client for /api/v1 that authenticates with one API key.
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    key: Option<String>,
}

impl ApiClient {
    pub fn new(base: &str, key: Option<&str>) -> ApiClient {
        ApiClient {
            http: builder().build().expect("api client builds"),
            base: Url::parse(base).expect("base URL parses"),
            key: key.map(str::to_owned),
        }
    }

    /// A request with `Authorization: Bearer <key>` (when the client has a key).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self
            .http
            .request(method, self.base.join(path).expect("path joins"));
        match &self.key {
            Some(k) => req.bearer_auth(k),
            None => req,
        }
    }

    /// Sends `req`, asserts the status and returns the JSON body (`Null` when empty).
    pub async fn send(&self, req: RequestBuilder, expect: StatusCode) -> Value {
        let (client, req) = req.build_split();
        let req = req.expect("request builds");
        let what = format!("{} {}", req.method(), req.url().path());
        let resp = client.execute(req).await.expect("request reaches the app");
        let status = resp.status();
        let body = resp.text().await.expect("response body reads");
        assert_eq!(
            status, expect,
            "{what} answered {status}, expected {expect}; body:\n{body}"
        );
        if body.is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {body}"))
    }

    pub async fn get(&self, path: &str, expect: StatusCode) -> Value {
        self.send(self.request(Method::GET, path), expect).await
    }

    /// GETs `path` and returns only the status (for polling until something changes).
    pub async fn fetch_status(&self, path: &str) -> StatusCode {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request reaches the app")
            .status()
    }

    /// Sends `method path` (with a JSON body, if any) and returns only the status.
    pub async fn fetch_status_of(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> StatusCode {
        let req = self.request(method, path);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        req.send().await.expect("request reaches the app").status()
    }

    pub async fn post(&self, path: &str, body: &Value, expect: StatusCode) -> Value {
        self.send(self.request(Method::POST, path).json(body), expect)
            .await
    }
}
