//! A real browser: headless Chromium loads a page from the server, and the load is timed.
//!
//! Browsers open connections they never send a request on. apps/preconnect.py serves a page
//! from `127.0.0.1:PORT` that preconnects to `localhost:PORT` (to the browser another origin,
//! to the server the same socket) and loads anonymous cross-origin images from there.
//! Chromium's network log shows what it does: while navigating, it opens one or two spare
//! credentialed connections to the page's own origin, on speculation, and the page never uses
//! them (every image goes to the other origin, through the pool of anonymous sockets); the
//! page's preconnect without `crossorigin` adds one more that the anonymous images may not
//! use. A server that blocks on the connection it accepted first takes the page's connection,
//! then a silent one, and waits on it for its whole `--timeout` (60 s by default) before it
//! reads the images' requests: the page takes a minute or two. A server that waits for
//! whichever connection has bytes serves the page, then the images, at once.
//!
//! Raw sockets in the other tests can imitate an idle client, but only a browser shows which
//! sockets a browser really opens, so this test runs the real one. It needs Debian's
//! `chromium` (`.ci/run` installs it), and fails, not skips, without it.
//!
//! How the load is measured: `chromium --headless --dump-dom URL` prints the page's DOM once
//! the page has loaded, then exits. The page's `load` handler (it fires after every image)
//! sets the title to `loaded` and writes the browser's own figure into the page, `loaded in N
//! ms: 6 of 6 images shown` (an image refused for want of the CORS header is not shown). So
//! when Chromium has exited and its DOM says `loaded`, the load had ended; the time from
//! launch to exit (Chromium's start-up included, about a second) bounds the load from above.
//! The server's records then show that each image was asked for, and how.

mod common;

use std::fs::{self, File};
use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The page's app.
const APP: &str = "apps/preconnect.py";
/// How many images the page loads (`IMAGES` in the app).
const IMAGES: usize = 6;
/// The whole load, from Chromium's launch to its exit, must take less than this. A server
/// that serves each connection as it sends bytes needs about one second, mostly Chromium's
/// start-up; one that blocks on an idle socket needs its `--timeout`, 60 s.
const LOAD_LIMIT: Duration = Duration::from_secs(5);
/// Past this, Chromium is killed and the test fails: the bound on the test's own time.
const BROWSER_LIMIT: Duration = Duration::from_secs(30);
/// Debian's name for the browser.
const CHROMIUM: &str = "chromium";

/// What Chromium did with the page.
struct Load {
    /// From launch to exit.
    took: Duration,
    /// The DOM it printed after the load.
    dom: String,
}

/// Load the server's page in a fresh headless Chromium and wait, at most [`BROWSER_LIMIT`],
/// for it to exit. Fails the test when Chromium is missing, runs too long or exits with an
/// error.
fn load_in_chromium(server: &Server, url: &str) -> Load {
    // A profile of its own each run: no cache, no remembered connections, no first-run state.
    let profile = scratch("chromium-profile");
    let _ = fs::remove_dir_all(&profile);
    let dom_file = scratch("chromium-dom.html");
    let log_file = scratch("chromium-stderr.txt");
    let mut command = Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            // The tests run as root, where Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            // A container's /dev/shm may be too small for the renderer.
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&dom_file).expect("a scratch file for the DOM"))
        .stderr(File::create(&log_file).expect("a scratch file for Chromium's messages"))
        // Its own process group, so that a Chromium past its time goes with all its helpers.
        .process_group(0);

    let launched = Instant::now();
    let mut chromium = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "this test needs headless Chromium, and `{CHROMIUM}` is not on PATH: install it \
             (`apt-get install chromium` on Debian; .ci/run does it)"
        ),
        Err(e) => panic!("cannot start {CHROMIUM}: {e}"),
    };
    let status = wait_with_limit(&mut chromium, BROWSER_LIMIT);
    let took = launched.elapsed();
    let _ = fs::remove_dir_all(&profile);
    let Some(status) = status else {
        // What the server had answered by now, before Chromium's death closes its sockets.
        let served: Vec<String> = server
            .records_so_far()
            .iter()
            .map(|r| match target(r) {
                Some(target) => format!("{target} {:?}", r.response.status),
                None => format!("(no request: {:?})", r.error),
            })
            .collect();
        kill_group(&mut chromium);
        panic!(
            "Chromium had not finished loading {url} after {BROWSER_LIMIT:?}, and was killed. \
             By then the server had answered {served:?} (the page and {IMAGES} images were \
             asked for): a server that waits on one silent connection (a socket the \
             browser opened on speculation and never used) serves nothing else until that \
             client's --timeout. Chromium's messages are in {}",
            log_file.display()
        );
    };
    assert!(
        status.success(),
        "Chromium exited with {status}; its messages:\n{}",
        fs::read_to_string(&log_file).unwrap_or_default()
    );
    let dom = fs::read_to_string(&dom_file).expect("the DOM Chromium printed");
    let _ = fs::remove_file(&dom_file);
    let _ = fs::remove_file(&log_file);
    Load { took, dom }
}

/// Kill Chromium and every process it started (its group, see `process_group(0)`), then reap it.
fn kill_group(chromium: &mut Child) {
    // The group's id is Chromium's pid, still reserved: the child has not been reaped yet.
    let group = chromium.id() as i32;
    // SAFETY: kill(2) sends a signal to the process group this test started; no memory is
    // touched.
    unsafe { libc::kill(-group, libc::SIGKILL) };
    let _ = chromium.wait();
}

/// The page's `loaded in N ms: I of J images shown`: the load as the browser itself saw it.
fn page_says(dom: &str) -> Option<&str> {
    let from = dom.find("loaded in ")?;
    dom[from..].split('<').next()
}

/// The record's target, or None for a connection that sent no request.
fn target(record: &Record) -> Option<&str> {
    record.request.target.as_deref()
}

/// Chromium loads a page from 127.0.0.1 that preconnects to localhost and takes six anonymous
/// images from there, within five seconds of launch, with the server at its default
/// `--timeout`: the sockets the browser leaves silent hold nothing up.
#[test]
fn chromium_loads_a_page_with_preconnects_and_cross_origin_images_within_five_seconds() {
    // No --timeout: the default (60 s) is what a class has, and what an idle socket costs.
    let server = start_server(&[&path(APP)]);
    let here = server.addr.to_string();
    let other = format!("localhost:{}", server.addr.port());
    let url = format!("http://{here}/");

    let load = load_in_chromium(&server, &url);
    assert!(
        load.dom.contains("<title>loaded</title>"),
        "Chromium exited, but the page's load event had not fired (its title is not \
         \"loaded\"); the DOM it printed:\n{}",
        load.dom
    );
    let browser_figure = page_says(&load.dom).unwrap_or("no figure in the page");
    assert!(
        load.took < LOAD_LIMIT,
        "Chromium took {:.1} s from launch to the end of the load of {url} (the page says \
         \"{browser_figure}\"), more than {LOAD_LIMIT:?}: the server stalled on a connection \
         the browser opened and never used",
        load.took.as_secs_f64()
    );
    assert!(
        browser_figure.ends_with(&format!(": {IMAGES} of {IMAGES} images shown")),
        "the page loaded, but not every image is shown (\"{browser_figure}\"): the browser \
         refused some, or they never came"
    );
    println!(
        "loaded in {:.2} s from launch; the page says \"{browser_figure}\"",
        load.took.as_secs_f64()
    );

    // The records: the page over the name Chromium was given, then every image over the other
    // name, as an anonymous CORS request from the page's origin. Chromium also asks for
    // /favicon.ico, and its silent sockets give records without a request: neither matters.
    let mut page_seen = false;
    let mut images: Vec<Option<Record>> = vec![None; IMAGES];
    while !page_seen || images.iter().any(Option::is_none) {
        let record = server.next_typed();
        let Some(target) = target(&record) else {
            continue;
        };
        if target == "/" {
            assert_eq!(environ(&record, "HTTP_HOST"), Some(&*format!("'{here}'")));
            assert_eq!(record.response.status, Some(200), "{record:?}");
            page_seen = true;
        } else if let Some(n) = target
            .strip_prefix("/img/")
            .and_then(|name| name.strip_suffix(".svg"))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=IMAGES).contains(n))
        {
            images[n - 1] = Some(record);
        }
    }
    for (n, record) in images.into_iter().flatten().enumerate() {
        let n = n + 1;
        assert_eq!(record.response.status, Some(200), "image {n}: {record:?}");
        assert_eq!(
            environ(&record, "HTTP_HOST"),
            Some(&*format!("'{other}'")),
            "image {n} was not asked for over the other loopback name: {record:?}"
        );
        assert_eq!(
            environ(&record, "HTTP_ORIGIN"),
            Some(&*format!("'http://{here}'")),
            "image {n} was not a cross-origin request from the page: {record:?}"
        );
        assert_eq!(
            environ(&record, "HTTP_SEC_FETCH_MODE"),
            Some("'cors'"),
            "image {n} was not fetched in CORS mode (crossorigin=\"anonymous\"): {record:?}"
        );
        assert_eq!(record.checks, [], "image {n} has findings: {record:?}");
    }
}
