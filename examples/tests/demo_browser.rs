//! The demo in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver` packages, which
//! `scripts/setup.sh` installs).
//!
//! The test serves the demo in-process on a free loopback port, with its
//! `user` sessions in a `FileStore` in a fresh directory, starts its own
//! chromedriver on another free port and opens two sessions of it: two
//! browsers with their own profiles and cookie jars, "laptop" and "phone"
//! by their user agents. Both log in as the same user; the laptop's
//! sessions page lists both, logs the phone out, and the phone's next
//! request is anonymous, while the laptop stays logged in. Then the same
//! through "log out everywhere else". A missing binary fails the test: it
//! is never skipped.

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sessions::store::SessionId;
use sessions::{CookieStore, FileStore, Key};
use sessions_examples::demo::Demo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

type TestResult<T = ()> = Result<T, Box<dyn Error>>;

/// How long a page may take to show what the test waits for.
const PAGE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the whole test may take before it fails rather than hangs.
const TEST_TIMEOUT: Duration = Duration::from_mins(3);

const LAPTOP: &str = "demo-browser-test laptop (X11; Linux x86_64)";
const PHONE: &str = "demo-browser-test phone (Android 15; Mobile)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_session_logs_the_other_browser_out() -> TestResult {
    let started = Instant::now();
    let outcome = tokio::time::timeout(TEST_TIMEOUT, run()).await;
    println!("demo_browser: took {:.1?}", started.elapsed());
    outcome.map_err(|_| format!("the browser test took longer than {TEST_TIMEOUT:?}"))?
}

async fn run() -> TestResult {
    let dir = TempDir::new()?;
    let (base, stop_server) = serve_demo(&dir.0).await?;
    let driver = Chromedriver::start(&dir.0)?;
    let laptop = driver.browser(&dir.0.join("laptop"), LAPTOP).await?;
    let phone = driver.browser(&dir.0.join("phone"), PHONE).await?;
    let outcome = scenario(&base, &laptop, &phone).await;
    // Close both browsers whatever happened, then stop the server; the
    // guards stop chromedriver and remove the directory.
    for client in [laptop, phone] {
        if let Err(error) = client.close().await {
            eprintln!("demo_browser: closing a browser: {error}");
        }
    }
    let _ = stop_server.send(());
    outcome
}

async fn scenario(base: &str, laptop: &Client, phone: &Client) -> TestResult {
    log_in(laptop, base, "ada").await?;
    log_in(phone, base, "ada").await?;

    // The theme lives in the `prefs` cookie session: pick one, so the panel
    // has a cookie of each store to measure.
    laptop
        .find(Locator::Css("button[name=theme][value=dark]"))
        .await?
        .click()
        .await?;
    wait_for_css(laptop, "body.dark").await?;
    check_panel(laptop).await?;

    // Log the phone out from the laptop, by its row.
    laptop.goto(&format!("{base}/sessions")).await?;
    let rows = session_rows(laptop).await?;
    println!("demo_browser: the laptop lists {rows:?}");
    assert_eq!(rows.len(), 2, "both browsers are listed: {rows:?}");
    let this: Vec<_> = rows.iter().filter(|row| row.current).collect();
    assert_eq!(this.len(), 1, "one is this device: {rows:?}");
    assert!(this[0].text.contains(LAPTOP) && this[0].text.contains("this device"));
    let other = rows
        .iter()
        .find(|row| !row.current)
        .expect("two rows, one current");
    assert!(
        other.text.contains(PHONE),
        "the other is the phone: {rows:?}"
    );
    check_panel(laptop).await?;

    let phone_row = "tr.session[data-current=false] button.revoke";
    laptop.find(Locator::Css(phone_row)).await?.click().await?;
    wait_for_text(laptop, ".notice", "That session is logged out").await?;
    assert_eq!(session_rows(laptop).await?.len(), 1, "the phone is gone");

    phone.refresh().await?;
    wait_for_text(phone, "#who", "Not logged in").await?;
    phone.goto(&format!("{base}/sessions")).await?;
    let path = phone.current_url().await?.path().to_owned();
    assert_eq!(path, "/", "an anonymous visitor is sent back to /");
    laptop.goto(&format!("{base}/")).await?;
    wait_for_text(laptop, "#who", "Logged in as ada").await?;

    // Again, through "log out everywhere else".
    log_in(phone, base, "ada").await?;
    laptop.goto(&format!("{base}/sessions")).await?;
    assert_eq!(session_rows(laptop).await?.len(), 2, "the phone is back");
    laptop
        .find(Locator::Css("#revoke-others"))
        .await?
        .click()
        .await?;
    wait_for_text(laptop, ".notice", "Logged out 1 other session.").await?;
    phone.goto(&format!("{base}/")).await?;
    wait_for_text(phone, "#who", "Not logged in").await?;
    laptop.goto(&format!("{base}/")).await?;
    wait_for_text(laptop, "#who", "Logged in as ada").await?;
    Ok(())
}

/// Logs `client` in as `username` from the main page.
async fn log_in(client: &Client, base: &str, username: &str) -> TestResult {
    client.goto(&format!("{base}/")).await?;
    client
        .find(Locator::Css("input[name=username]"))
        .await?
        .send_keys(username)
        .await?;
    client
        .find(Locator::Css("form[action='/login'] button"))
        .await?
        .click()
        .await?;
    wait_for_text(client, "#who", &format!("Logged in as {username}")).await
}

/// The panel names both stores, and measures both cookies the browser sent.
async fn check_panel(client: &Client) -> TestResult {
    for (session, store) in [("user", "files"), ("prefs", "cookie")] {
        let cell = |class| format!("#panel tr[data-session={session}] td.{class}");
        let shown = client
            .find(Locator::Css(&cell("store")))
            .await?
            .text()
            .await?;
        assert_eq!(shown, store, "the panel names the store of {session}");
        let sent = client
            .find(Locator::Css(&cell("sent")))
            .await?
            .text()
            .await?;
        let bytes: usize = sent
            .strip_suffix(" bytes")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("the {session} cookie's size, not {sent:?}"))?;
        assert!(
            bytes > 20,
            "a sealed cookie of {session} is not {bytes} bytes"
        );
        let expires = client
            .find(Locator::Css(&cell("expires")))
            .await?
            .text()
            .await?;
        assert!(expires.ends_with("days)"), "{session} expires {expires:?}");
        println!("demo_browser: panel: {session} in {shown}, {sent}, expires {expires}");
    }
    Ok(())
}

/// One row of the sessions page.
#[derive(Debug)]
struct Row {
    current: bool,
    text: String,
}

async fn session_rows(client: &Client) -> TestResult<Vec<Row>> {
    wait_for_css(client, "#sessions").await?;
    let mut rows = Vec::new();
    for row in client.find_all(Locator::Css("tr.session")).await? {
        rows.push(Row {
            current: row.attr("data-current").await?.as_deref() == Some("true"),
            text: row.text().await?,
        });
    }
    Ok(rows)
}

/// Waits until an element matching `css` shows; after a click that
/// navigates, the old page may answer first.
async fn wait_for_css(client: &Client, css: &str) -> TestResult {
    wait_for_text(client, css, "").await
}

/// Waits until the first element matching `css` contains `needle`.
async fn wait_for_text(client: &Client, css: &str, needle: &str) -> TestResult {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    let mut last = String::new();
    while Instant::now() < deadline {
        // Between two pages an element may vanish under us: try again.
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(needle) {
                return Ok(());
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = client.current_url().await?;
    let page = client.find(Locator::Css("body")).await?.text().await?;
    Err(format!(
        "{url}: no {css} containing {needle:?} after {PAGE_TIMEOUT:?} (last: {last:?}); \
         the page says {page:?}"
    )
    .into())
}

/// Serves the demo on a free loopback port, its `user` sessions in
/// `dir/sessions`; the base URL, and a sender that stops the server.
async fn serve_demo(dir: &Path) -> TestResult<(String, oneshot::Sender<()>)> {
    let key = Key::generate();
    let files = FileStore::open(dir.join("sessions"), key.clone())?;
    let demo = Demo::new(CookieStore::new(key), files);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(demo.serve(listener, async {
        let _ = stopped.await;
    }));
    Ok((base, stop))
}

/// A chromedriver this test started; killed when dropped.
struct Chromedriver {
    child: Child,
    url: String,
    chromium: PathBuf,
}

impl Chromedriver {
    /// Starts chromedriver on a free loopback port, logging to
    /// `dir/chromedriver.log`, and waits until it accepts connections.
    fn start(dir: &Path) -> TestResult<Self> {
        let driver = find_binary("chromedriver", "chromium-driver")?;
        let chromium = find_binary("chromium", "chromium")?;
        let port = StdListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let log = dir.join("chromedriver.log");
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", driver.display()))?;
        let mut this = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + PAGE_TIMEOUT;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = this.child.try_wait()? {
                return Err(format!(
                    "chromedriver exited at start ({status}), see {}",
                    log.display()
                )
                .into());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver is not listening on {addr} after {PAGE_TIMEOUT:?}"
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(this)
    }

    /// A new headless browser with its own profile in `profile` (so its own
    /// cookie jar) that calls itself `user_agent`.
    async fn browser(&self, profile: &Path, user_agent: &str) -> TestResult<Client> {
        // The flags a closed network needs: without the background ones,
        // Chromium keeps trying to reach Google's hosts.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--user-agent={user_agent}"),
        ];
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("json!({{...}}) is an object");
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .map_err(|error| {
                format!(
                    "chromedriver could not start {}: {error}",
                    self.chromium.display()
                )
            })?;
        Ok(client)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Best effort: the process may be gone already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `name` on `PATH`, or an error saying which Debian package brings it.
fn find_binary(name: &str, package: &str) -> TestResult<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "{name} is not on PATH (Debian's {package} package puts it in /usr/bin): \
                 run `bash scripts/setup.sh`, which installs it; this test is never skipped"
            )
            .into()
        })
}

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("sessions-demo-browser-{}", SessionId::generate()));
        std::fs::create_dir(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temp dir fails no test.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
