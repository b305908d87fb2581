//! Headless Chromium for tests that drive the pages as a person would.
//!
//! ```ignore
//! let Some(b) = browser::browser().await else {
//!     eprintln!("skipped: no chromedriver");
//!     return;
//! };
//! b.goto(&format!("{base}/login")).await;
//! b.fill("input[name=email]", "admin@example.com").await;
//! b.click_and_load("button[type=submit]").await;
//! assert!(b.text("h1").await.contains("Люди"));
//! ```
//!
//! Every call starts its own chromedriver and Chromium with a throwaway profile, so tests
//! run in parallel without sharing cookies or ports. Without chromedriver the tests skip,
//! unless `SHTAB_TEST_BROWSER` is set (CI sets it): then a missing browser is a failure,
//! because a silently skipped browser suite would pass CI while testing nothing.
//!
//! Helpers panic with the URL, the visible page text and the path of a screenshot, since a
//! bare "element not found" says nothing about what the browser was showing.

// A harness: no single test uses every helper, and clippy runs with -D warnings.
#![allow(dead_code)]

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// How long helpers wait for an element, a text or a page load before failing the test.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How often waits poll; short, because every browser test waits many times.
const POLL: Duration = Duration::from_millis(50);

/// How long one request to chromedriver outside the WebDriver session may take.
const DRIVER_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Chromium flags. Besides headless mode, they fence the browser in: every host name fails
/// to resolve and every non-loopback connection goes to a proxy on the discard port, where
/// nothing listens, while loopback stays direct (Chromium never proxies loopback). The
/// `--disable-*` flags stop the background chatter (updates, sync, safe browsing) that would
/// otherwise try to leave the machine.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    // Chromium refuses to start as root with its sandbox on; CI runs as root.
    "--no-sandbox",
    "--disable-gpu",
    // /dev/shm is small in containers; Chromium crashes tabs when it runs out.
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--no-pings",
    "--dns-prefetch-disable",
    "--metrics-recording-only",
    "--password-store=basic",
    "--mute-audio",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--window-size=1280,900",
];

/// A headless Chromium session. Dropping it ends the session and kills chromedriver and
/// everything it started, so a failed test leaves no browser behind.
pub struct Browser {
    client: Client,
    driver: Child,
    driver_port: u16,
    session_id: Option<String>,
    // Removed last (fields drop after `Drop::drop`), once Chromium no longer writes to it.
    _profile: tempfile::TempDir,
}

/// Starts chromedriver and a headless Chromium session.
///
/// Returns `None` when chromedriver or Chromium is not installed and `SHTAB_TEST_BROWSER` is
/// unset; the caller then prints "skipped: no chromedriver" and returns. Panics when they
/// are missing and `SHTAB_TEST_BROWSER` is set, or when they are installed but fail to start.
pub async fn browser() -> Option<Browser> {
    let required = std::env::var("SHTAB_TEST_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0");
    let chromium = chromium_path();
    let driver_bin = match chromedriver_path() {
        Some(bin) if chromium.is_file() => bin,
        found => {
            let missing = if found.is_none() {
                "chromedriver (set SHTAB_CHROMEDRIVER or put it on PATH)".to_owned()
            } else {
                format!("Chromium at {} (set SHTAB_CHROMIUM)", chromium.display())
            };
            if required {
                panic!(
                    "SHTAB_TEST_BROWSER is set but {missing} was not found; \
                     install the Debian packages chromium and chromium-driver"
                );
            }
            return None;
        }
    };

    let profile = tempfile::Builder::new()
        .prefix("shtab-browser-")
        .tempdir()
        .expect("create a temp dir for the browser profile");
    // The log lives beside the profile, not in it, so Chromium cannot trip over it.
    let user_data_dir = profile.path().join("profile");
    let log_path = profile.path().join("chromedriver.log");
    let out_path = profile.path().join("chromedriver.out");
    let out = fs::File::create(&out_path).expect("create chromedriver output file");

    let port = free_port();
    let driver = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log_path.display()))
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone chromedriver output file"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", driver_bin.display()));

    // From here on a panic drops the half-built browser, which kills chromedriver.
    let mut starting = Starting {
        driver: Some(driver),
        port,
        logs: [log_path, out_path],
    };
    starting.wait_until_ready().await;

    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
    args.push(format!("--user-data-dir={}", user_data_dir.display()));
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": 30_000, "script": 10_000, "implicit": 0 },
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": args,
            "prefs": {
                // The product speaks Russian by default; a fixed Accept-Language keeps
                // pages the same whatever the machine's locale is.
                "intl.accept_languages": "ru-RU,ru",
                // Password-manager bubbles and leak checks only get in the way of log-ins.
                "credentials_enable_service": false,
                "profile.password_manager_enabled": false,
                "profile.password_manager_leak_detection": false,
            },
        },
    });
    let caps: Capabilities = match caps {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("capabilities are a JSON object"),
    };
    let client = match ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
    {
        Ok(client) => client,
        Err(e) => panic!(
            "start Chromium ({}) through chromedriver: {e}\n{}",
            chromium.display(),
            starting.logs()
        ),
    };
    let session_id = client.session_id().await.ok().flatten();

    Some(Browser {
        client,
        driver: starting.driver.take().expect("chromedriver is running"),
        driver_port: port,
        session_id,
        _profile: profile,
    })
}

impl Browser {
    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        if let Err(e) = self.client.goto(url).await {
            panic!("{}", self.failure(format!("goto {url}: {e}")).await);
        }
    }

    /// The URL the browser shows now.
    pub async fn current_url(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => panic!("{}", self.failure(format!("current_url: {e}")).await),
        }
    }

    /// Waits up to [`TIMEOUT`] for an element matching `css` and returns it.
    pub async fn wait_for(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(TIMEOUT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(el) => el,
            Err(e) => panic!("{}", self.failure(format!("wait_for {css:?}: {e}")).await),
        }
    }

    /// Waits until the first element matching `css` contains `needle` in its visible text,
    /// e.g. after an htmx swap, and returns the whole text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        self.wait_for_text_where(css, &format!("contain {needle:?}"), |t| t.contains(needle))
            .await
    }

    /// Waits until the first element matching `css` no longer contains `needle`, e.g. a
    /// list after a search has filtered a row out, and returns the whole text.
    pub async fn wait_for_text_without(&self, css: &str, needle: &str) -> String {
        self.wait_for_text_where(css, &format!("lose {needle:?}"), |t| !t.contains(needle))
            .await
    }

    /// Waits until the visible text of the first element matching `css` satisfies `ok`;
    /// `what` completes "wait for the text of CSS to …" in the failure message.
    pub async fn wait_for_text_where(
        &self,
        css: &str,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = String::new();
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(el) => match el.text().await {
                    Ok(text) if ok(&text) => return text,
                    Ok(text) => last = text,
                    // The element was replaced between find and text: look again.
                    Err(e) if is_status(&e, ErrorStatus::StaleElementReference) => {}
                    Err(e) => panic!("{}", self.failure(format!("text of {css:?}: {e}")).await),
                },
                Err(e) if is_status(&e, ErrorStatus::NoSuchElement) => {}
                Err(e) => panic!("{}", self.failure(format!("find {css:?}: {e}")).await),
            }
            if Instant::now() >= deadline {
                let what = format!("wait for the text of {css:?} to {what}; last text: {last:?}");
                panic!("{}", self.failure(what).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible texts of all elements matching `css` now, e.g. the rows of a table.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let found = match self.client.find_all(Locator::Css(css)).await {
            Ok(found) => found,
            Err(e) => panic!("{}", self.failure(format!("find all {css:?}: {e}")).await),
        };
        let mut texts = Vec::with_capacity(found.len());
        for el in found {
            match el.text().await {
                Ok(text) => texts.push(text),
                Err(e) => panic!("{}", self.failure(format!("text of {css:?}: {e}")).await),
            }
        }
        texts
    }

    /// Whether the first element matching `css` is rendered visibly now (it must exist).
    pub async fn is_displayed(&self, css: &str) -> bool {
        let el = self.wait_for(css).await;
        match el.is_displayed().await {
            Ok(shown) => shown,
            Err(e) => panic!(
                "{}",
                self.failure(format!("is {css:?} displayed: {e}")).await
            ),
        }
    }

    /// Waits until the first element matching `css` is visible, e.g. a menu after its
    /// toggle was clicked, and returns it.
    pub async fn wait_displayed(&self, css: &str) -> Element {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let el = self.wait_for(css).await;
            if let Ok(true) = el.is_displayed().await {
                return el;
            }
            if Instant::now() >= deadline {
                let what = format!("wait for {css:?} to become visible");
                panic!("{}", self.failure(what).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `script` in the page (`return …` to get a value back) and returns its result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        match self.client.execute(script, Vec::new()).await {
            Ok(value) => value,
            Err(e) => panic!("{}", self.failure(format!("run {script:?}: {e}")).await),
        }
    }

    /// Replaces the value of the input matching `css` with `text`, typing it as a person would.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        if let Err(e) = el.clear().await {
            panic!("{}", self.failure(format!("clear {css:?}: {e}")).await);
        }
        if let Err(e) = el.send_keys(text).await {
            panic!("{}", self.failure(format!("type into {css:?}: {e}")).await);
        }
    }

    /// Clicks the element matching `css` once it appears.
    pub async fn click(&self, css: &str) {
        let el = self.wait_for(css).await;
        if let Err(e) = el.click().await {
            panic!("{}", self.failure(format!("click {css:?}: {e}")).await);
        }
    }

    /// Clicks the element matching `css` and waits until the browser has left the current
    /// page, e.g. a form submit answered with a redirect. Without this, the next `wait_for`
    /// could find its element on the old page before the new one arrives.
    pub async fn click_and_load(&self, css: &str) {
        let old_root = match self.client.find(Locator::Css("html")).await {
            Ok(el) => el,
            Err(e) => panic!("{}", self.failure(format!("find the page root: {e}")).await),
        };
        self.click(css).await;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let last_error = match old_root.tag_name().await {
                Err(e) if is_status(&e, ErrorStatus::StaleElementReference) => break,
                Ok(_) => None,
                // While the next page loads, chromedriver may answer other errors (the
                // document is half gone); keep asking until the old page is surely gone.
                Err(e) => Some(e.to_string()),
            };
            if Instant::now() >= deadline {
                let what = match last_error {
                    Some(e) => format!("after click {css:?}: {e}"),
                    None => format!("click {css:?} did not lead to a new page"),
                };
                panic!("{}", self.failure(what).await);
            }
            tokio::time::sleep(POLL).await;
        }
        // Reading anything now waits for the new document to finish loading.
        self.wait_for("body").await;
    }

    /// The visible text of the first element matching `css`, once it appears.
    pub async fn text(&self, css: &str) -> String {
        let el = self.wait_for(css).await;
        match el.text().await {
            Ok(text) => text,
            Err(e) => panic!("{}", self.failure(format!("text of {css:?}: {e}")).await),
        }
    }

    /// Whether an element matching `css` is on the page now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(_) => true,
            Err(e) if is_status(&e, ErrorStatus::NoSuchElement) => false,
            Err(e) => panic!("{}", self.failure(format!("find {css:?}: {e}")).await),
        }
    }

    /// Resizes the window, e.g. to 390×844 to see the phone layout.
    pub async fn resize(&self, width: u32, height: u32) {
        if let Err(e) = self.client.set_window_size(width, height).await {
            panic!(
                "{}",
                self.failure(format!("resize to {width}x{height}: {e}"))
                    .await
            );
        }
    }

    /// Saves a PNG of the viewport to `path`, creating its directory.
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => panic!("screenshot {}: {e}", path.display()),
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        }
        fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Ends the session politely; dropping the browser does the same, less politely.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// Describes a failure with what the browser shows, and saves a screenshot beside the
    /// test binary's temp files so the failed state can be looked at.
    async fn failure(&self, what: String) -> String {
        static SHOTS: AtomicUsize = AtomicUsize::new(0);
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("<unknown: {e}>"),
        };
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let text: String = text.chars().take(1500).collect();
        let test = std::thread::current()
            .name()
            .unwrap_or("browser")
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "-");
        let n = SHOTS.fetch_add(1, Ordering::Relaxed);
        let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("browser-failures")
            .join(format!("{test}-{}-{n}.png", std::process::id()));
        let shot = match self.client.screenshot().await {
            Ok(png) => {
                let _ = fs::create_dir_all(shot.parent().expect("has a parent"));
                match fs::write(&shot, png) {
                    Ok(()) => shot.display().to_string(),
                    Err(e) => format!("<not saved: {e}>"),
                }
            }
            Err(e) => format!("<not taken: {e}>"),
        };
        format!("{what}\n  url: {url}\n  screenshot: {shot}\n  page text: {text}")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // fantoccini closes the session from a task on the test's runtime, which may already
        // be shutting down; ask chromedriver directly so Chromium exits and lets go of the
        // profile before the temp dir is removed.
        if let Some(id) = self.session_id.take() {
            end_session(self.driver_port, &id);
        }
        kill_tree(&mut self.driver);
    }
}

/// chromedriver while it starts: killed on drop, so a failed start leaves nothing behind.
struct Starting {
    driver: Option<Child>,
    port: u16,
    logs: [PathBuf; 2],
}

impl Starting {
    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let driver = self.driver.as_mut().expect("chromedriver is running");
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("chromedriver exited at start ({status})\n{}", self.logs());
            }
            if driver_ready(self.port).await {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "chromedriver did not answer on port {} within {TIMEOUT:?}\n{}",
                    self.port,
                    self.logs()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for path in &self.logs {
            let text = fs::read_to_string(path).unwrap_or_default();
            // The end of a log is where the reason is.
            let start = text.len().saturating_sub(4000);
            let start = (start..text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            out.push_str(&format!("--- {} ---\n{}\n", path.display(), &text[start..]));
        }
        out
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            kill_tree(&mut driver);
        }
    }
}

fn chromedriver_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SHTAB_CHROMEDRIVER").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("chromedriver"));
    on_path
        .chain([PathBuf::from("/usr/bin/chromedriver")])
        .find(|p| p.is_file())
}

fn chromium_path() -> PathBuf {
    std::env::var_os("SHTAB_CHROMIUM")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// A port nothing listens on right now. chromedriver takes a port number, not a socket, so
/// there is a small window in which another process could take it; the OS hands out
/// ephemeral ports in turn, which makes that unlikely.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

fn driver_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DRIVER_REQUEST_TIMEOUT)
        // chromedriver is on loopback; a proxy from the environment must not be asked.
        .no_proxy()
        .build()
        .expect("build an HTTP client for chromedriver")
}

/// Whether chromedriver answers `GET /status` with `"ready": true`.
async fn driver_ready(port: u16) -> bool {
    let Ok(reply) = driver_client()
        .get(format!("http://127.0.0.1:{port}/status"))
        .send()
        .await
    else {
        return false;
    };
    match reply.json::<serde_json::Value>().await {
        Ok(status) => status["value"]["ready"] == serde_json::Value::Bool(true),
        Err(_) => false,
    }
}

/// Ends WebDriver session `id`, so Chromium quits. `Drop` cannot await and may run while
/// the test's runtime shuts down, so the request runs on a short-lived runtime of its own
/// thread; failures are ignored, since the process tree is killed next anyway.
fn end_session(port: u16, id: &str) {
    let url = format!("http://127.0.0.1:{port}/session/{id}");
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let _ = driver_client().delete(url).send().await;
        });
    })
    .join();
}

/// Kills chromedriver and every process below it (Chromium, its zygote and renderers) by
/// PID. Killing chromedriver alone would orphan a Chromium that then runs on forever.
fn kill_tree(driver: &mut Child) {
    let mut pids = descendants(driver.id());
    pids.push(driver.id());
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
}

/// PIDs of all processes descending from `root`, read from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse
            // from the last ')'.
            let ppid = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid) in &parents {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

fn is_status(e: &CmdError, status: ErrorStatus) -> bool {
    matches!(e, CmdError::Standard(wd) if wd.error == status)
}
