//! A browser by hand for the page tests: keeps the cookies the server
//! sets, sends them back, and posts forms with an `Origin`, all through
//! the in-process router.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};

use crate::harness::TestApp;

/// One answer: status, headers, body as text.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Every `Set-Cookie` line.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The `Set-Cookie` line of cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the page's hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a csrf field") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }

    #[track_caller]
    pub fn assert_lacks(&self, text: &str) {
        assert!(
            !self.body.contains(text),
            "page shows {text:?}:\n{}",
            self.body
        );
    }

    /// The page is in `lang` (`<html lang="..">`).
    #[track_caller]
    pub fn assert_lang(&self, lang: &str) {
        self.assert_contains(&format!("<html lang=\"{lang}\""));
    }

    /// No name of a demo person (the fixtures' banned people) on the page.
    #[track_caller]
    pub fn assert_no_demo_names(&self) {
        for (surname, given, _) in crate::fixtures::DEMO_PEOPLE {
            self.assert_lacks(surname);
            self.assert_lacks(given);
        }
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "{} page lacks {text:?}:\n{}",
            self.status,
            self.body
        );
    }
}

/// Cookies by name, the `Accept-Language`, and where forms come from.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub accept_language: Option<String>,
    pub origin: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: BTreeMap::new(),
            accept_language: None,
            origin: app.app.public_url.clone(),
        }
    }

    pub fn english(mut self) -> Self {
        self.accept_language = Some("en-GB,en;q=0.9".to_owned());
        self
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends a request built by `build` with the cookies and language;
    /// keeps the cookies the answer sets (and drops those it deletes).
    pub async fn send(&mut self, mut builder: axum::http::request::Builder, body: Body) -> Page {
        if !self.cookies.is_empty() {
            builder = builder.header(header::COOKIE, self.cookie_header());
        }
        if let Some(lang) = &self.accept_language {
            builder = builder.header(header::ACCEPT_LANGUAGE, lang);
        }
        let (status, headers, bytes) = self.app.send(builder.body(body).unwrap()).await;
        let page = Page {
            status,
            headers,
            body: String::from_utf8(bytes).expect("UTF-8"),
        };
        for line in page.set_cookies() {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    /// A form post from this browser's origin.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let origin = self.origin.clone();
        self.post_with(path, fields, Some(("origin", &origin)))
            .await
    }

    /// A form post with one chosen header (`origin`, `referer`) or none.
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        from: Option<(&str, &str)>,
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut builder =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((name, value)) = from {
            builder = builder.header(name, value);
        }
        self.send(builder, Body::from(body)).await
    }

    /// A `multipart/form-data` post from this browser's origin (or, with
    /// `origin` None, from none): text fields first, then files as
    /// (field, file name, content type, bytes), as a browser sends them.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
        origin: Option<&str>,
    ) -> Page {
        const BOUNDARY: &str = "----cho-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, file_name, content_type, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let mut builder = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        self.send(builder, Body::from(body)).await
    }

    /// Opens the login page and logs in; answers the login's answer.
    pub async fn login(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/inloggen").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            "/inloggen",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Logs in and asserts it worked (a session cookie, to `/`).
    pub async fn logged_in(mut self, username: &str, password: &str) -> Self {
        let answer = self.login(username, password).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.location(), "/");
        self
    }

    /// The CSRF token of the logged-in person's pages.
    pub async fn csrf(&mut self) -> String {
        self.get("/account").await.csrf()
    }

    /// Posts a form of the logged-in person with their CSRF token first.
    pub async fn post_form<V: AsRef<str>>(&mut self, path: &str, fields: &[(&str, V)]) -> Page {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend(fields.iter().map(|(k, v)| (*k, v.as_ref())));
        self.post(path, &all).await
    }
}
