//! A real browser for the page tests: Debian's headless chromium driven
//! through its chromedriver with fantoccini, behind a small blocking API
//! (the stories are blocking; the tokio runtime fantoccini needs lives
//! inside [`Browser`]), and axe-core for the WCAG 2.1 A/AA checks.
//!
//! ```ignore
//! let Some(b) = Browser::start() else { return }; // SKIPPED without chromium
//! b.goto(&format!("{base}/inloggen"));
//! b.fill("Gebruikersnaam", "kroon");
//! b.click_button("Inloggen");
//! b.assert_accessible("owner dashboard");
//! b.screenshot("owner_journey", "dashboard");
//! ```
//!
//! Fields are found by their visible label (what a person reads), falling
//! back to a CSS selector; buttons and links by their visible text. Every
//! failure panics with what the page did offer, so a failing test says why.
//!
//! Without chromium or chromedriver, [`Browser::start`] prints one loud
//! `SKIPPED` notice and answers None, unless `CHO_REQUIRE_ALL_TESTS=1` (CI),
//! which turns the missing browser into a failure.
//!
//! Each browser's chromedriver runs in its own process group; dropping the
//! [`Browser`] ends the session and kills that group, and a watchdog kills it
//! as well once the test process is gone however it ends, so no chromium is
//! left behind by a panic or a killed test run.

use std::fmt;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// Debian's chromium and chromium-driver; `CHO_CHROMIUM` and
/// `CHO_CHROMEDRIVER` name others (another distribution's paths).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn program(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

/// axe-core, vendored from the npm registry (see its SOURCE note).
const AXE_SOURCE: &str = include_str!("../vendor/axe-core-4.14.1/axe.min.js");

/// The axe-core rule tags the pages must pass: WCAG 2.0 and 2.1, A and AA.
pub const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// How long [`Browser::wait_for_text`] and [`Browser::wait_for`] wait.
const WAIT: Duration = Duration::from_secs(10);

/// The size of the browser's window: pages are checked on a desktop and on a
/// phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewport {
    /// 1280 x 900.
    Desktop,
    /// 390 x 844 (a common phone).
    Mobile,
}

impl Viewport {
    pub fn size(self) -> (u32, u32) {
        match self {
            Viewport::Desktop => (1280, 900),
            Viewport::Mobile => (390, 844),
        }
    }
}

/// One accessibility rule a page breaks, as axe-core reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The axe rule, e.g. `image-alt`, `label`, `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// One line on what is wrong.
    pub help: String,
    /// Where the rule is explained.
    pub help_url: String,
    /// A CSS selector for each offending element.
    pub targets: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}: {} ({})",
            self.impact, self.id, self.help, self.help_url
        )?;
        for target in &self.targets {
            write!(f, "\n      at {target}")?;
        }
        Ok(())
    }
}

/// The element that has the keyboard focus, described as a test reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Focused {
    /// Lower-case tag name (`input`, `button`, `a`, `body`, ...).
    pub tag: String,
    pub id: String,
    pub name: String,
    /// The text of the control's label (form fields) or its own visible
    /// text (buttons, links), whitespace collapsed.
    pub label: String,
}

impl fmt::Display for Focused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}", self.tag)?;
        if !self.id.is_empty() {
            write!(f, " id={:?}", self.id)?;
        }
        if !self.name.is_empty() {
            write!(f, " name={:?}", self.name)?;
        }
        write!(f, "> {:?}", self.label)
    }
}

/// A headless chromium with its own chromedriver and a fresh profile (no
/// cookies, no cache). Dropping it ends both.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
}

/// Whether `CHO_REQUIRE_ALL_TESTS=1`: a missing browser is then a failure.
pub fn required() -> bool {
    std::env::var("CHO_REQUIRE_ALL_TESTS").is_ok_and(|v| v == "1")
}

static SKIP_NOTICE: Once = Once::new();
static SHARED: OnceLock<Option<Mutex<Browser>>> = OnceLock::new();

impl Browser {
    /// A Dutch-speaking (`Accept-Language: nl-NL,nl`) desktop browser; None
    /// (after one loud SKIPPED notice) when chromium or chromedriver is not
    /// installed and `CHO_REQUIRE_ALL_TESTS` is not set. Panics when they are
    /// installed but do not start.
    pub fn start() -> Option<Browser> {
        Browser::start_with("nl-NL,nl", Viewport::Desktop)
    }

    /// A browser that asks for `accept_language` (e.g. `"en-GB,en"`) with
    /// the window at `viewport`.
    pub fn start_with(accept_language: &str, viewport: Viewport) -> Option<Browser> {
        let chromium = program("CHO_CHROMIUM", CHROMIUM);
        let chromedriver = program("CHO_CHROMEDRIVER", CHROMEDRIVER);
        let missing: Vec<&str> = [chromium.as_str(), chromedriver.as_str()]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            assert!(
                !required(),
                "CHO_REQUIRE_ALL_TESTS=1 but {} missing: apt-get install chromium chromium-driver",
                missing.join(" and ")
            );
            SKIP_NOTICE.call_once(|| {
                // Straight to the process's stderr: the test harness captures
                // `eprintln!` of passing tests.
                let notice = format!(
                    "\n*** SKIPPED browser tests: {} not found; the page tests in a real \
                     browser run nothing. Install chromium and chromium-driver (or set \
                     CHO_REQUIRE_ALL_TESTS=1 to fail). ***\n\n",
                    missing.join(" and ")
                );
                let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
            });
            return None;
        }
        match launch(&chromium, &chromedriver, accept_language, viewport) {
            Ok(browser) => Some(browser),
            Err(e) => panic!("cannot start the test browser: {e}"),
        }
    }

    /// One Dutch desktop browser for the whole test process, for test files
    /// whose cases only read pages: the lock serialises the cases that share
    /// it. Each call clears its cookies and resets the window. The watchdog
    /// ends it when the process exits. Tests that log in want their own
    /// [`Browser::start`].
    pub fn shared() -> Option<MutexGuard<'static, Browser>> {
        let shared = SHARED
            .get_or_init(|| Browser::start().map(Mutex::new))
            .as_ref()?;
        // A case that panicked while holding the lock leaves a usable browser.
        let browser = shared.lock().unwrap_or_else(|e| e.into_inner());
        browser.block(browser.client().delete_all_cookies(), "delete cookies");
        browser.set_viewport(Viewport::Desktop);
        Some(browser)
    }

    /// The process id of this browser's chromedriver, which is also the id
    /// of the process group chromium runs in.
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    // --- Navigation and reading ------------------------------------------

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.block(self.client().goto(url), &format!("open {url}"));
    }

    /// The address of the current page.
    pub fn url(&self) -> String {
        self.block(self.client().current_url(), "read the url")
            .to_string()
    }

    /// The current page's `<title>`.
    pub fn title(&self) -> String {
        self.block(self.client().title(), "read the title")
    }

    /// The text a person sees on the page (the body's `innerText`).
    pub fn text(&self) -> String {
        let text = self.script(
            "return document.body ? document.body.innerText : '';",
            vec![],
        );
        text.as_str().unwrap_or_default().to_owned()
    }

    /// The page's HTML as the browser holds it now.
    pub fn html(&self) -> String {
        self.block(self.client().source(), "read the page source")
    }

    /// Waits until the page shows `text`; panics with the page's text after
    /// 10 seconds.
    pub fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let page = self.text();
            if page.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} did not appear on {} within {WAIT:?}; the page says:\n{page}",
                self.url()
            );
            // Polling the browser, not waiting for time to pass.
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until an element matches the CSS `selector`.
    pub fn wait_for(&self, selector: &str) {
        let wait = self
            .client()
            .wait()
            .at_most(WAIT)
            .for_element(fantoccini::Locator::Css(selector));
        self.block(wait, &format!("wait for {selector}"));
    }

    /// Whether an element matches the CSS `selector` now.
    pub fn exists(&self, selector: &str) -> bool {
        self.script(
            "return document.querySelector(arguments[0]) !== null;",
            vec![json!(selector)],
        )
        .as_bool()
        .unwrap_or(false)
    }

    /// Runs JavaScript in the page (a function body; `arguments[i]` are the
    /// `args`) and returns what it returns. For checks the helpers here do
    /// not cover; journeys should not need it.
    pub fn script(&self, body: &str, args: Vec<Value>) -> Value {
        self.block(self.client().execute(body, args), "run a script")
    }

    // --- Forms -------------------------------------------------------------

    /// Types `value` into the field labelled `field` (the label's visible
    /// text, exactly or as its start, or the field's `aria-label`), else the
    /// field matching `field` as a CSS selector. The field is cleared first.
    /// A `<select>` gets the option whose visible text is `value`.
    pub fn fill(&self, field: &str, value: &str) {
        let element = self.field(field);
        let what = format!("fill {field:?}");
        let tag = self.block(element.tag_name(), &what);
        if tag.eq_ignore_ascii_case("select") {
            // fantoccini quotes the label in an XPath literal, which an
            // apostrophe ("the person's ...") breaks: compare texts here.
            let options = self.block(element.find_all(fantoccini::Locator::Css("option")), &what);
            let option = options
                .into_iter()
                .find(|o| self.block(o.text(), &what).trim() == value.trim())
                .unwrap_or_else(|| panic!("browser: {what}: no option {value:?}"));
            self.block(option.click(), &what);
        } else {
            self.block(element.clear(), &what);
            self.block(element.send_keys(value), &what);
        }
    }

    /// Ticks the checkbox or chooses the radio button labelled `field`
    /// (found as [`Browser::fill`] finds fields), unless it already is.
    pub fn check(&self, field: &str) {
        let element = self.field(field);
        let what = format!("check {field:?}");
        if !self.block(element.is_selected(), &what) {
            self.block(element.click(), &what);
        }
    }

    /// Chooses the file at `path` in the file input labelled `field`
    /// (found as [`Browser::fill`] finds fields): WebDriver types the path
    /// into the input, as a person picks it in the file dialog.
    pub fn choose_file(&self, field: &str, path: &std::path::Path) {
        let element = self.field(field);
        let path = path.to_str().expect("a file path in UTF-8");
        self.block(
            element.send_keys(path),
            &format!("choose a file for {field:?}"),
        );
    }

    /// The current value of the field labelled `field`.
    pub fn value(&self, field: &str) -> String {
        let element = self.field(field);
        self.block(element.prop("value"), &format!("read {field:?}"))
            .unwrap_or_default()
    }

    /// Clicks the button (`<button>`, submit or button `<input>`, or
    /// `role=button`) whose visible text or value is `text` and waits for the
    /// page it loads.
    pub fn click_button(&self, text: &str) {
        let element = self.find_by_text(BUTTONS, text, "button");
        self.block(element.click(), &format!("click button {text:?}"));
    }

    /// Clicks the link whose visible text is `text`.
    pub fn click_link(&self, text: &str) {
        let element = self.find_by_text("a[href]", text, "link");
        self.block(element.click(), &format!("click link {text:?}"));
    }

    /// Clicks the element matching the CSS `selector`.
    pub fn click(&self, selector: &str) {
        let what = format!("click {selector}");
        let element = self.block(
            self.client().find(fantoccini::Locator::Css(selector)),
            &what,
        );
        self.block(element.click(), &what);
    }

    // --- Keyboard ----------------------------------------------------------

    /// Presses Tab: the focus moves to the next element.
    pub fn tab(&self) {
        self.press(Key::Tab);
    }

    /// Presses Shift+Tab: the focus moves to the previous element.
    pub fn shift_tab(&self) {
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down {
                value: Key::Shift.into(),
            })
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Shift.into(),
            });
        self.keys(keys, "press shift+tab");
    }

    /// Presses Enter on the focused element (submits a form, follows a link).
    pub fn press_enter(&self) {
        self.press(Key::Enter);
    }

    /// Presses Space on the focused element (ticks a checkbox, presses a
    /// button).
    pub fn press_space(&self) {
        self.press(Key::Space);
    }

    /// Types `text` into whatever has the focus, key by key, as a person (or
    /// a desk scanner typing an MRZ) would. `\n` presses Enter.
    pub fn type_keys(&self, text: &str) {
        let mut keys = KeyActions::new("keyboard".to_owned());
        for c in text.chars() {
            let c = if c == '\n' { Key::Enter.into() } else { c };
            keys = keys
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.keys(keys, "type");
    }

    /// Presses Tab until the focused element's label, text, id or name is
    /// `target`, at most 50 times; panics with the focus order it saw.
    pub fn tab_to(&self, target: &str) -> Focused {
        let mut seen = Vec::new();
        for _ in 0..50 {
            self.tab();
            let focused = self.focused_element();
            if [&focused.label, &focused.id, &focused.name]
                .iter()
                .any(|s| s.as_str() == target)
            {
                return focused;
            }
            seen.push(focused.to_string());
        }
        panic!(
            "Tab never reached {target:?} on {}; the focus went:\n  {}",
            self.url(),
            seen.join("\n  ")
        );
    }

    /// The element that has the keyboard focus.
    pub fn focused_element(&self) -> Focused {
        let v = self.script(FOCUSED_JS, vec![]);
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Focused {
            tag: s("tag"),
            id: s("id"),
            name: s("name"),
            label: s("label"),
        }
    }

    /// Whether the focused element shows that it has the focus: its computed
    /// outline or box-shadow is not none (WCAG 2.4.7). False when nothing but
    /// the page itself has the focus.
    pub fn focus_is_visible(&self) -> bool {
        self.script(FOCUS_VISIBLE_JS, vec![])
            .as_bool()
            .unwrap_or(false)
    }

    // --- Window and artefacts --------------------------------------------

    /// Resizes the window so that the page sees `viewport` (`innerWidth` x
    /// `innerHeight`).
    pub fn set_viewport(&self, viewport: Viewport) {
        let (width, height) = viewport.size();
        self.resize_page(width, height);
    }

    /// Saves a PNG of the whole page (the viewport grows to the page's
    /// height for the picture, up to 8000 pixels) as
    /// `<target>/screenshots/<test>/<name>.png` and returns its path, for a
    /// person to look at after the run (CI keeps them as artefacts).
    pub fn screenshot(&self, test: &str, name: &str) -> PathBuf {
        let (width, height) = self.page_size();
        let page_height = self
            .script("return document.documentElement.scrollHeight;", vec![])
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
            .unwrap_or(height)
            .clamp(height, 8000);
        let grow = page_height > height;
        if grow {
            self.resize_page(width, page_height);
        }
        let png = self.block(self.client().screenshot(), "take a screenshot");
        if grow {
            self.resize_page(width, height);
        }
        let dir = target_dir().join("screenshots").join(test);
        std::fs::create_dir_all(&dir).expect("create the screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    // --- Accessibility ------------------------------------------------------

    /// Runs axe-core on the current page for [`WCAG_TAGS`] and returns what
    /// it finds wrong. axe is injected through WebDriver, which the page's
    /// Content-Security-Policy does not govern, so pages need not allow it.
    pub fn axe(&self) -> Vec<Violation> {
        let loaded = self.script("return typeof window.axe === 'object';", vec![]);
        if loaded != Value::Bool(true) {
            self.script(&format!("{AXE_SOURCE}\n;return true;"), vec![]);
        }
        let result = self.block(
            self.client()
                .execute_async(AXE_RUN_JS, vec![json!(WCAG_TAGS)]),
            "run axe-core",
        );
        if let Some(error) = result.get("error").and_then(Value::as_str) {
            panic!("axe-core failed on {}: {error}", self.url());
        }
        let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
        result
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|v| Violation {
                id: s(v, "id"),
                impact: s(v, "impact"),
                help: s(v, "help"),
                help_url: s(v, "helpUrl"),
                targets: v["targets"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| t.as_str().unwrap_or_default().to_owned())
                    .collect(),
            })
            .collect()
    }

    /// Panics with a readable report when axe-core finds any WCAG 2.1 A/AA
    /// violation on the current page; `page` names it in the report.
    pub fn assert_accessible(&self, page: &str) {
        let violations = self.axe();
        if violations.is_empty() {
            return;
        }
        let report: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        panic!(
            "{page} ({}) has {} accessibility violation(s) (axe-core, WCAG 2.1 A/AA):\n{}",
            self.url(),
            violations.len(),
            report.join("\n")
        );
    }

    // --- Inside ---------------------------------------------------------------

    fn client(&self) -> &Client {
        // Only Drop takes the client out.
        self.client.as_ref().expect("the browser session is open")
    }

    /// Runs one WebDriver command to its end; a failure panics naming `what`
    /// and the page it happened on.
    fn block<T, E: fmt::Display>(
        &self,
        command: impl Future<Output = Result<T, E>>,
        what: &str,
    ) -> T {
        match self.runtime.block_on(command) {
            Ok(t) => t,
            Err(e) => {
                let url = self
                    .runtime
                    .block_on(self.client().current_url())
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                panic!("browser: cannot {what} (on {url}): {e}")
            }
        }
    }

    /// The page's `innerWidth` and `innerHeight`.
    fn page_size(&self) -> (u32, u32) {
        let size = self.script("return [window.innerWidth, window.innerHeight];", vec![]);
        let dim = |i: usize| {
            size[i]
                .as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or_default()
        };
        (dim(0), dim(1))
    }

    /// Sizes the window so that the page gets `width` x `height`: the window
    /// is larger than the page by whatever the browser keeps for itself
    /// (in headless chromium some height), measured rather than assumed.
    fn resize_page(&self, width: u32, height: u32) {
        let (window_width, window_height) =
            self.block(self.client().get_window_size(), "read the window size");
        let (page_width, page_height) = self.page_size();
        let extra =
            |window: u64, page: u32| u32::try_from(window).unwrap_or(0).saturating_sub(page);
        let (extra_width, extra_height) = (
            extra(window_width, page_width),
            extra(window_height, page_height),
        );
        self.block(
            self.client()
                .set_window_size(width + extra_width, height + extra_height),
            "resize the window",
        );
    }

    fn press(&self, key: Key) {
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key.into() })
            .then(KeyAction::Up { value: key.into() });
        self.keys(keys, "press a key");
    }

    fn keys(&self, keys: KeyActions, what: &str) {
        self.block(self.client().perform_actions(keys), what);
        self.block(self.client().release_actions(), what);
    }

    fn field(&self, field: &str) -> Element {
        let found = self.script(FIND_FIELD_JS, vec![json!(field)]);
        self.element(&found).unwrap_or_else(|| {
            let labels = self.script(
                "return [...document.querySelectorAll('label')]\
                 .map(l => l.textContent.replace(/\\s+/g, ' ').trim());",
                vec![],
            );
            panic!(
                "no field labelled or matching {field:?} on {}; the labels there are {labels}",
                self.url()
            )
        })
    }

    fn find_by_text(&self, selector: &str, text: &str, kind: &str) -> Element {
        let found = self.script(FIND_BY_TEXT_JS, vec![json!(selector), json!(text)]);
        self.element(&found["element"]).unwrap_or_else(|| {
            panic!(
                "no {kind} {text:?} on {}; the {kind}s there are {}",
                self.url(),
                found["offered"]
            )
        })
    }

    /// The element a script returned (a WebDriver element reference).
    fn element(&self, value: &Value) -> Option<Element> {
        let id = value.as_object()?.values().next()?.as_str()?;
        Some(Element::from_element_id(
            self.client().clone(),
            ElementRef::from(id.to_owned()),
        ))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), client.close()).await
            });
        }
        kill_group(self.driver.id());
        let _ = self.driver.wait();
    }
}

const BUTTONS: &str =
    "button, input[type=submit], input[type=button], input[type=reset], [role=button]";

fn launch(
    chromium: &str,
    chromedriver: &str,
    accept_language: &str,
    viewport: Viewport,
) -> Result<Browser, String> {
    let mut last = String::new();
    // A free port can be taken between asking and binding: try a few.
    for _ in 0..3 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        let port = crate::postgres::free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, which chromium joins, so one kill ends
            // both.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("{chromedriver}: {e}"))?;
        watchdog(driver.id());
        let mut browser = Browser {
            runtime,
            client: None,
            driver,
        };
        match connect(&browser.runtime, port, chromium, accept_language, viewport) {
            Ok(client) => {
                browser.client = Some(client);
                browser.set_viewport(viewport);
                return Ok(browser);
            }
            // Dropping `browser` kills this chromedriver.
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn connect(
    runtime: &tokio::runtime::Runtime,
    port: u16,
    chromium: &str,
    accept_language: &str,
    viewport: Viewport,
) -> Result<Client, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("chromedriver did not listen on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (width, height) = viewport.size();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".to_owned(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                format!("--window-size={width},{height}"),
                format!("--lang={}", accept_language.split(',').next().unwrap_or("nl")),
            ],
            "prefs": { "intl.accept_languages": accept_language },
        }),
    );
    // Two providers are compiled in when the whole workspace is built, so
    // rustls picks none by itself; an Err means one is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // rustls loads the system's CA roots even for plain HTTP to chromedriver.
    let mut builder = ClientBuilder::rustls()
        .map_err(|e| format!("rustls: {e} (apt-get install ca-certificates)"))?;
    builder.capabilities(capabilities);
    let client = runtime
        .block_on(builder.connect(&format!("http://127.0.0.1:{port}")))
        .map_err(|e| format!("new WebDriver session: {e}"))?;
    runtime
        .block_on(client.set_window_size(width, height))
        .map_err(|e| format!("window size: {e}"))?;
    Ok(client)
}

/// Ends chromedriver's process group (chromedriver and the chromium it
/// started) once this test process is gone, however it ends: the shared
/// browser is never dropped, and a killed test run drops nothing.
fn watchdog(driver: u32) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null && kill -0 {driver} 2>/dev/null; do sleep 1; done; \
         kill -TERM -{driver} 2>/dev/null; sleep 1; kill -KILL -{driver} 2>/dev/null",
        pid = std::process::id(),
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

/// Kills what is left of chromedriver's process group (the shell's own
/// `kill`: the procps one may not be installed).
fn kill_group(driver: u32) {
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -KILL -{driver} 2>/dev/null")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The workspace's target folder: `CARGO_TARGET_DIR` when set, else
/// `target/` beside this crate.
pub fn target_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace")
        .to_path_buf();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    }
}

/// Finds a form field by label text (exact, then as the label's start),
/// `aria-label`, then CSS selector.
const FIND_FIELD_JS: &str = r#"
const want = arguments[0];
const norm = s => (s || '').replace(/\s+/g, ' ').trim();
const labels = [...document.querySelectorAll('label')];
for (const exact of [true, false]) {
  for (const label of labels) {
    const text = norm(label.textContent);
    if ((exact ? text === want : text.startsWith(want)) && label.control) {
      return label.control;
    }
  }
}
for (const el of document.querySelectorAll('[aria-label]')) {
  if (norm(el.getAttribute('aria-label')) === want) return el;
}
try { return document.querySelector(want); } catch (e) { return null; }
"#;

/// Finds the element matching arguments[0] whose visible text (or value) is
/// arguments[1]; else lists what there is.
const FIND_BY_TEXT_JS: &str = r#"
const [selector, want] = arguments;
const norm = s => (s || '').replace(/\s+/g, ' ').trim();
const all = [...document.querySelectorAll(selector)];
const textOf = el => norm(el.innerText || el.value || el.getAttribute('aria-label'));
const found = all.find(el => textOf(el) === want)
  || all.find(el => norm(el.getAttribute('aria-label')) === want);
return { element: found || null, offered: all.map(textOf) };
"#;

const FOCUSED_JS: &str = r#"
const el = document.activeElement;
const norm = s => (s || '').replace(/\s+/g, ' ').trim();
if (!el) return { tag: '', id: '', name: '', label: '' };
let label = '';
if (el.labels && el.labels.length) label = norm(el.labels[0].textContent);
if (!label) label = norm(el.getAttribute('aria-label'));
if (!label && el !== document.body) label = norm(el.innerText || el.value);
return { tag: el.tagName.toLowerCase(), id: el.id || '', name: el.getAttribute('name') || '', label };
"#;

const FOCUS_VISIBLE_JS: &str = r#"
const el = document.activeElement;
if (!el || el === document.body || el === document.documentElement) return false;
const style = getComputedStyle(el);
const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
const shadow = style.boxShadow && style.boxShadow !== 'none';
return outline || shadow;
"#;

/// Runs axe-core and hands back the violations in a plain shape.
const AXE_RUN_JS: &str = r#"
const [tags, done] = arguments;
axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
  .then(r => done(r.violations.map(v => ({
    id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(' ')),
  }))))
  .catch(e => done({ error: String(e) }));
"#;
