//! The browser harness itself: each of its checks can fail (a page with
//! known faults makes axe report them), runs under the strict CSP the pages
//! are served with, and its form, keyboard and screenshot helpers do what
//! the journey tests rely on. The pages come from a tiny HTTP server in this
//! file, not from cho-server, so these tests do not depend on the web pages.
//! One browser serves every case here ([`Browser::shared`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;

use cho_tests::{Browser, Viewport};

/// The CSP the web pages are served with, at its strictest: no script at
/// all, styles only from the page's own origin.
const CSP: &str = "default-src 'none'; style-src 'self'; frame-ancestors 'none'";

const STYLE: &str = "body { font-family: sans-serif; color: #1a1a1a; background: #fff; }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
.no-ring:focus, .no-ring:focus-visible { outline: none; box-shadow: none; }";

/// A page that passes WCAG 2.1 A/AA: a language, a title, a main landmark,
/// a heading, every field labelled. Its inline script must not run (CSP).
const CLEAN: &str = r#"<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Schone pagina</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/style.css"></head>
<body><main>
<h1>Zoek een ban</h1>
<form method="get" action="/submitted">
<p><label for="surname">Achternaam</label> <input id="surname" name="surname" autocomplete="off"></p>
<p><label for="given">Voornamen (zoals in het paspoort)</label> <input id="given" name="given" autocomplete="off"></p>
<p><label for="category">Categorie</label> <select id="category" name="category">
<option value="1">Geweld</option><option value="2">Drugs</option></select></p>
<p><input type="checkbox" id="heard" name="heard" value="ja"> <label for="heard">Gehoord</label></p>
<p><button type="submit">Zoeken</button></p>
</form>
<p><a href="/submitted">Naar de uitslag</a></p>
<p><button type="button" class="no-ring">Zonder focusrand</button></p>
</main>
<script>document.body.dataset.inline = 'ran';</script>
</body></html>"#;

/// Two known faults: an image without alt text and an input without label.
const FAULTY: &str = r#"<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Foute pagina</title></head>
<body><main><h1>Fout</h1>
<img src="/style.css">
<form><input id="naamloos" name="naamloos"></form>
</main></body></html>"#;

/// The test site: its base URL, served for the rest of the process.
fn site() -> &'static str {
    static SITE: OnceLock<String> = OnceLock::new();
    SITE.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        base
    })
}

fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut accept_language = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("accept-language")
        {
            accept_language = value.trim().to_owned();
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    let echo;
    let (status, kind, body) = match path {
        "/clean" => ("200 OK", "text/html; charset=utf-8", CLEAN),
        "/faulty" => ("200 OK", "text/html; charset=utf-8", FAULTY),
        "/style.css" => ("200 OK", "text/css", STYLE),
        "/submitted" | "/language" => {
            echo = format!(
                "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">\
                 <title>Uitslag</title></head><body><main><h1>Uitslag</h1>\
                 <p id=\"query\">{}</p><p id=\"language\">{accept_language}</p>\
                 </main></body></html>",
                target.split_once('?').map(|(_, q)| q).unwrap_or_default()
            );
            ("200 OK", "text/html; charset=utf-8", echo.as_str())
        }
        _ => ("404 Not Found", "text/plain", "not found"),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Security-Policy: {CSP}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn url(path: &str) -> String {
    format!("{}{path}", site())
}

#[test]
fn axe_reports_an_image_without_alt_and_an_unlabelled_input() {
    let Some(b) = Browser::shared() else { return };
    b.goto(&url("/faulty"));
    let violations = b.axe();
    let ids: Vec<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    assert!(ids.contains(&"image-alt"), "{violations:#?}");
    assert!(ids.contains(&"label"), "{violations:#?}");
    let label = violations.iter().find(|v| v.id == "label").unwrap();
    assert_eq!(label.targets, vec!["#naamloos".to_owned()]);
    assert_eq!(label.impact, "critical");

    // And the assertion the journeys use fails with a readable report.
    let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        b.assert_accessible("the faulty page")
    }))
    .expect_err("a page with violations is not accessible");
    let report = report.downcast_ref::<String>().unwrap();
    assert!(report.contains("the faulty page"), "{report}");
    assert!(report.contains("image-alt"), "{report}");
    assert!(report.contains("at #naamloos"), "{report}");
}

#[test]
fn a_clean_page_under_a_strict_csp_has_no_violations() {
    let Some(b) = Browser::shared() else { return };
    b.goto(&url("/clean"));
    // The CSP is in force: the page's inline script did not run...
    assert_eq!(
        b.script("return document.body.dataset.inline || 'blocked';", vec![]),
        "blocked"
    );
    // ...yet axe, injected through WebDriver, runs (and finds nothing).
    assert_eq!(b.axe(), vec![]);
    b.assert_accessible("the clean page");
    // On a phone as well.
    b.set_viewport(Viewport::Mobile);
    assert_eq!(
        b.script("return [window.innerWidth, window.innerHeight];", vec![]),
        serde_json::json!([390, 844])
    );
    b.assert_accessible("the clean page on a phone");
}

#[test]
fn a_screenshot_is_a_png_under_target() {
    let Some(b) = Browser::shared() else { return };
    b.goto(&url("/clean"));
    let path = b.screenshot("browser_harness", "clean");
    assert!(
        path.ends_with("screenshots/browser_harness/clean.png"),
        "{}",
        path.display()
    );
    assert!(path.starts_with(cho_testkit::browser::target_dir()));
    let png = std::fs::read(&path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Width and height from the IHDR chunk: the desktop window.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 900));

    // A page longer than the window is taken whole, and the window stays.
    b.set_viewport(Viewport::Mobile);
    b.goto(&url("/clean"));
    b.script(
        "document.querySelector('main').style.minHeight = '2000px'; return true;",
        vec![],
    );
    let png = std::fs::read(b.screenshot("browser_harness", "clean-long-mobile")).unwrap();
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(width, 390);
    assert!(height >= 2000, "{height}");
    assert_eq!(b.script("return window.innerHeight;", vec![]), 844);
}

#[test]
fn forms_are_filled_by_label_and_sent_by_button_text() {
    let Some(b) = Browser::shared() else { return };
    b.goto(&url("/clean"));
    b.fill("Achternaam", "Çelik-de Vries");
    // A label's start is enough; a CSS selector also works.
    b.fill("Voornamen", "Zoë");
    b.fill("#given", "Zoë Anna");
    b.fill("Categorie", "Drugs");
    b.check("Gehoord");
    assert_eq!(b.value("Achternaam"), "Çelik-de Vries");
    b.click_button("Zoeken");
    b.wait_for("#query");
    assert!(b.url().contains("/submitted?"), "{}", b.url());
    assert_eq!(
        b.script(
            "return document.getElementById('query').textContent;",
            vec![]
        ),
        "surname=%C3%87elik-de+Vries&given=Zo%C3%AB+Anna&category=2&heard=ja"
    );
    b.goto(&url("/clean"));
    b.click_link("Naar de uitslag");
    b.wait_for_text("Uitslag");

    // A missing field or button says what the page offers instead.
    b.goto(&url("/clean"));
    let missing =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.click_button("Verstuur")))
            .expect_err("there is no such button");
    let missing = missing.downcast_ref::<String>().unwrap();
    assert!(missing.contains("\"Zoeken\""), "{missing}");
}

#[test]
fn the_keyboard_moves_a_visible_focus_and_submits() {
    let Some(b) = Browser::shared() else { return };
    b.goto(&url("/clean"));
    assert_eq!(b.focused_element().tag, "body");
    assert!(!b.focus_is_visible());
    b.tab();
    let first = b.focused_element();
    assert_eq!(
        (first.tag.as_str(), first.id.as_str()),
        ("input", "surname")
    );
    assert_eq!(first.label, "Achternaam");
    assert!(b.focus_is_visible());
    b.type_keys("Jansen");
    b.tab();
    assert_eq!(
        b.focused_element().label,
        "Voornamen (zoals in het paspoort)"
    );
    b.shift_tab();
    assert_eq!(b.focused_element().id, "surname");
    assert_eq!(b.value("Achternaam"), "Jansen");

    // An element styled without a focus ring is caught.
    let ring = b.tab_to("Zonder focusrand");
    assert_eq!(ring.tag, "button");
    assert!(!b.focus_is_visible());

    // Enter in a field submits its form.
    b.goto(&url("/clean"));
    b.tab_to("Achternaam");
    b.type_keys("Visser");
    b.press_enter();
    b.wait_for("#query");
    assert!(b.text().contains("surname=Visser"), "{}", b.text());
}

#[test]
fn the_browser_asks_for_dutch_unless_told_otherwise() {
    let Some(b) = Browser::shared() else { return };
    b.goto(&url("/language"));
    assert!(
        b.text().contains("nl-NL,nl;q=0.9"),
        "Accept-Language: {}",
        b.text()
    );
}

/// The live (not zombie) processes in process group `group`, from /proc.
fn processes_in_group(group: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid pgrp ...: comm may hold spaces.
            let after_comm = &stat[stat.rfind(')')? + 2..];
            let mut fields = after_comm.split(' ');
            let state = fields.next()?;
            let pgrp: u32 = fields.nth(1)?.parse().ok()?;
            (pgrp == group && state != "Z").then_some(pid)
        })
        .collect()
}

#[test]
fn a_dropped_browser_leaves_no_chromedriver_or_chromium_behind() {
    let Some(b) = Browser::start_with("en-GB,en", Viewport::Mobile) else {
        return;
    };
    b.goto(&url("/language"));
    assert!(b.text().contains("en-GB,en;q=0.9"), "{}", b.text());
    let group = b.driver_pid();
    assert!(
        processes_in_group(group).len() > 1,
        "chromedriver and chromium run"
    );
    drop(b);
    // SIGKILL takes effect asynchronously: poll the process table briefly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut left = processes_in_group(group);
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        left = processes_in_group(group);
    }
    assert!(left.is_empty(), "still running: {left:?}");
}
