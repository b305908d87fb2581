//! The first hour, as a newcomer has it: `shtab serve --demo`, log in as the first admin and
//! open every page of the navigation on a desktop and on a phone. Each page shows the demo
//! company's data rather than only an empty state, none is an error page, and the Russian
//! pages carry no English words a person would have to read.

use std::collections::BTreeSet;

use crate::browser;
use crate::cli::{Server, Site, free_address, printed_after};
use crate::testkit::WebClient;

/// Latin words a Russian page may show: names of products, protocols and languages.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "api", "bitrix", "csv", "dns", "email", "english", "forgejo", "git", "gitea", "github",
    "gitlab", "http", "https", "json", "openapi", "openvpn", "postgresql", "shtab", "smtp",
    "sqlite", "ssh", "tbank", "telegram", "vpn", "webhook", "wireguard",
];

/// Pages checked for content but not for English: the API's reference is written for
/// programmers, in English like the README.
const ENGLISH_BY_DESIGN: &[&str] = &["/api/docs"];

/// Pages that are a person's own and start empty: the admin's API tokens.
const PERSONAL: &[&str] = &["/tokens"];

/// What a person reads in `main`: its text without code (identifiers, commands and
/// headers shown as such: `<code>`, `<pre>`, `<kbd>`, `<samp>`).
const READ_TEXT: &str = "const m = document.querySelector('main').cloneNode(true); \
    m.querySelectorAll('code, pre, kbd, samp').forEach(e => e.remove()); \
    document.body.appendChild(m); const t = m.innerText; m.remove(); return t;";

/// The Latin words of `text` that are neither names nor abbreviations (`INN`, `OKPD`), nor
/// parts of addresses, paths, codes or identifiers (anything with a digit, `@`, `.`, `/`,
/// `_`, `-` or `:` in it).
fn english_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || "()[]{}«»\"',;!?|=+*…—–·•№%".contains(c))
        .filter(|w| {
            !w.chars()
                .any(|c| c.is_ascii_digit() || "@./_-:#$&<>~\\".contains(c))
        })
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_uppercase()))
        .map(str::to_lowercase)
        .filter(|w| !NAMES.contains(&w.as_str()))
        .collect()
}

#[tokio::test]
async fn the_demo_company_fills_every_page_of_the_navigation_in_russian_on_a_desktop_and_a_phone() {
    let b = browser_or_skip!();
    let site = Site::new().await;
    let server = Server::start(site.command(&["serve", "--demo", "--listen", &free_address()]))
        .ready()
        .await;
    let password = printed_after(&server.log(), "with the password ");
    let web = WebClient::new(&server.base);
    assert_eq!(
        web.try_login("admin@localhost", &password)
            .await
            .status()
            .as_u16(),
        303,
        "the printed first admin logs in"
    );

    b.goto(&format!("{}/login", server.base)).await;
    b.fill("#email", "admin@localhost").await;
    b.fill("#password", &password).await;
    b.click_and_load("form[action='/login'] button[type=submit]")
        .await;
    b.wait_for(".user-menu").await;
    let nav = b
        .eval("return [...document.querySelectorAll('nav.sidenav a[href]')].map(a => a.getAttribute('href'))")
        .await;
    let pages: Vec<String> = nav
        .as_array()
        .expect("the navigation's links")
        .iter()
        .filter_map(|h| h.as_str().map(str::to_owned))
        .collect();
    assert!(pages.len() >= 8, "the admin's navigation: {pages:?}");

    let mut problems = Vec::new();
    for (width, height, device) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        b.resize(width, height).await;
        for page in &pages {
            b.goto(&format!("{}{page}", server.base)).await;
            b.wait_for("main").await;
            let title = b.text("main h1").await;
            let main = b.text("main").await;
            if b.exists("main .flash-error").await && main.contains("/") {
                problems.push(format!("{device} {page}: an error page: {main}"));
            }
            let filled = b
                .eval(
                    "const m = document.querySelector('main'); \
                     return m.querySelectorAll('tbody tr, .card, li, article, dl').length",
                )
                .await
                .as_u64()
                .unwrap_or(0);
            let empty = b.exists("main > .empty, main > p.empty").await;
            if !PERSONAL.contains(&page.as_str()) && (filled == 0 || (empty && filled < 2)) {
                problems.push(format!("{device} {page} «{title}»: no content: {main}"));
            }
            let read = b.eval(READ_TEXT).await;
            let words = english_words(read.as_str().unwrap_or_default());
            if !ENGLISH_BY_DESIGN.contains(&page.as_str()) && !words.is_empty() {
                problems.push(format!("{device} {page} «{title}»: English {words:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    b.close().await;
}
