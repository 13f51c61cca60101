//! The `wsgiscope` command line: read it, load the app, start the server.
//!
//! Two programs run this same code. The `wsgiscope` binary that cargo builds (`src/main.rs`)
//! embeds the libpython it was linked against; the Python package (`pip install wsgiscope`,
//! its extension module in `pyext/`) runs inside the Python that imported it. [`Host`] says
//! which of the two is running, and [`main`] is the whole command for both.
//!
//! Everything that can go wrong before the server runs (a bad option, an app that will not
//! import, a port in use) ends here with one paragraph on standard error and exit code 2.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use pyo3::{Py, PyAny, Python};

use crate::exchange::Observer;
use crate::inspector::lesson::LessonPanel;
use crate::inspector::{self, Inspector, InspectorLink, ServerInfo};
use crate::lessons::Lesson;
use crate::log::{Log, LogFormat};
use crate::python::{self, AppSpec, PythonInfo};
use crate::server::{self as server, DEFAULT_MAX_CONNECTIONS, ServerConfig, WSGIServer};

/// Which program runs the command line, and so which Python the app runs in and where the
/// course's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// The binary cargo builds: it starts an interpreter inside itself, the libpython it was
    /// linked against (its `build.rs` pins that one with an rpath). The lessons are found in
    /// `./lessons`, else in the source tree it was built from.
    Binary,
    /// The Python package: its extension module was imported by a Python (the `wsgiscope`
    /// script, or `python -m wsgiscope`) and runs inside it, so the app imports what that
    /// Python and its venv have. The lessons and their apps were installed with the package,
    /// in `course` (`course/lessons`, `course/apps`).
    Package { course: PathBuf },
}

impl Host {
    /// Which Python this is, for `--version`.
    fn which_python(&self) -> &'static str {
        match self {
            Host::Binary => {
                "Runs in the Python embedded in this binary, the one it was built against"
            }
            Host::Package { .. } => "Runs in the Python that started it (the wsgiscope package)",
        }
    }
}

/// wsgiscope: a WSGI server for learning. It runs a Python WSGI app and shows what the server
/// does with every request.
#[derive(Parser, Debug)]
// A lesson's own arguments come first and the student's after: the later one wins.
#[command(
    disable_version_flag = true,
    about,
    long_about = None,
    args_override_self = true,
    after_help = "The course: `wsgiscope lessons` lists the lessons, `wsgiscope lesson N` starts one.\n\
                  A client: `wsgiscope telnet [HOST] [PORT]` (default 127.0.0.1 8888) sends what you \
                  type, a line per Enter, and prints the response."
)]
struct Cli {
    /// Print the version, the Python wsgiscope runs in and that Python's prefix (sys.prefix).
    #[arg(short = 'V', long)]
    version: bool,

    /// The app to serve: module:callable, module (callable `application`, then `app`),
    /// path/to/file.py[:callable], or module:factory(). Left out: a built-in demo app that
    /// answers with the environ it received. The words `lessons` and `lesson N` start the
    /// course instead (a module named lessons is served as `lessons:application`).
    // The words above are the --help text, where `[:callable]` means "optional" as in every
    // usage line; rustdoc would take it for a link.
    #[allow(rustdoc::broken_intra_doc_links)]
    app: Option<String>,

    /// The lesson's number, after `lesson` (or the host, after `telnet`).
    #[arg(hide = true)]
    lesson: Option<String>,

    /// The port, after `telnet HOST`.
    #[arg(hide = true)]
    third: Option<String>,

    /// With `telnet`: end each typed line with LF only, as nc does (default: CRLF, as telnet).
    #[arg(long)]
    lf: bool,

    /// With `telnet`: write the response's control bytes visibly (\r\n), as the inspector does.
    #[arg(long)]
    show_bytes: bool,

    /// The address to listen on (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,

    /// The port to listen on; 0 picks a free one (the address is printed either way).
    #[arg(long, default_value_t = 8888)]
    port: u16,

    /// Print to the terminal instead of opening the inspector (the default when standard
    /// output is not a terminal, or with --trace or --log json).
    #[arg(long)]
    no_tui: bool,

    /// Step mode: the server pauses before each phase of a request (parse_request,
    /// get_environ, the app, finish_response) until Space is pressed in the inspector.
    #[arg(long)]
    step: bool,

    /// Print every exchange in full: request and response bytes, environ, start_response.
    #[arg(long)]
    trace: bool,

    /// The log format: `text` (an access line per request) or `json` (one object per exchange).
    #[arg(long, value_enum, default_value_t = LogKind::Text)]
    log: LogKind,

    /// Put the Python traceback in the body of a 500 response (for the class to see).
    #[arg(long)]
    debug: bool,

    /// Seconds a client may stay silent before it is dropped (with a 408 if it had begun),
    /// from 1 to 86400 (a day).
    #[arg(
        long,
        default_value_t = 60,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS)
    )]
    timeout: u64,

    /// The largest request body accepted, in bytes; larger ones get a 413.
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    max_body: u64,

    /// The path the app is mounted under (SCRIPT_NAME), e.g. /app.
    #[arg(long, default_value = "", value_name = "PATH")]
    script_name: String,

    /// Change to this folder before loading the app; it goes first on sys.path.
    #[arg(long, value_name = "DIR")]
    chdir: Option<PathBuf>,

    /// A virtualenv whose packages the app may import (default: $VIRTUAL_ENV, if set). Installed
    /// with pip, wsgiscope already runs in its venv's Python: this adds another venv's packages.
    #[arg(long, value_name = "PATH")]
    venv: Option<PathBuf>,

    /// The most connections open at once (lowered at start-up to what the open-file limit
    /// allows). At the limit, the oldest connection that has sent nothing is closed to make
    /// room for a new one.
    #[arg(
        long,
        default_value_t = DEFAULT_MAX_CONNECTIONS as u32,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    max_connections: u32,

    /// Persistent connections: after a response whose end the client can tell, keep the
    /// connection open for the next request (HTTP/1.1 unless either side says close; HTTP/1.0
    /// with Connection: keep-alive). By default each connection carries one request, as in
    /// the tutorial.
    #[arg(long)]
    keep_alive: bool,

    /// The tutorial's loop: accept one connection, read its request, answer, close, and only
    /// then accept the next (lesson 11 shows why the default event loop exists).
    #[arg(long)]
    one_at_a_time: bool,

    /// Answer 500 for every response in which the app broke a PEP 3333 or HTTP rule, as
    /// wsgiref's validator would (by default the response is served and the finding noted).
    #[arg(long)]
    strict: bool,
}

/// The longest `--timeout`: a day. Longer is no use to a class, and a bound keeps every
/// deadline the server computes from it (see `src/wait.rs`) far from the clock's limits.
/// Zero is refused too: a zero timeout would drop every client before its first byte.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogKind {
    Text,
    Json,
}

/// The whole command: `args` as typed (the program's name first), run as `host` runs it. The
/// exit code comes back: 0, or 2 for anything refused before the server ran (one paragraph on
/// standard error says why). A second Ctrl-C while the app is stuck does not come back: its
/// signal handler ends the process, with 130 (see `wait::StopSignal::on_signals`).
pub fn main(args: Vec<OsString>, host: &Host) -> u8 {
    report_panics_as_bugs();
    let cli = match parse(&args) {
        Ok(cli) => cli,
        Err(exit_code) => return exit_code,
    };
    exit_code(dispatch(cli, &args, host))
}

/// Make a panic print one line saying the bug is wsgiscope's, not the student's app's.
fn report_panics_as_bugs() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "wsgiscope: internal error, this is a bug in wsgiscope and not in your app: {info}"
        );
    }));
}

/// Read the command line. `--help` or a mistake is printed here, and its exit code comes back
/// as the error: 0 for help, 2 for a mistake.
fn parse(args: &[OsString]) -> Result<Cli, u8> {
    // Not `Cli::parse()`, which would end the process itself: inside a Python, the Python
    // gets the exit code back and ends as it always does.
    Cli::try_parse_from(args).map_err(|e| {
        // --help goes to standard output, a mistake to standard error, as clap prints them.
        // If even that print fails there is nowhere left to say so; the exit code still tells.
        let _ = e.print();
        if e.use_stderr() { 2 } else { 0 }
    })
}

/// Do what the command line asks: print the version, be the client, list or start a lesson,
/// or serve the app. A word in the wrong place is refused before anything starts.
fn dispatch(cli: Cli, args: &[OsString], host: &Host) -> Result<(), String> {
    // The arms are tried in order, and the order is part of the rules: `telnet` comes before
    // the refusal of its options (--lf, --show-bytes) anywhere else, and `lesson` before the
    // refusal of a second word, which `lesson N` takes as its number.
    match cli.app.as_deref() {
        _ if cli.version => version(host),
        Some("telnet") => telnet_options(&cli).and_then(|o| crate::telnet::run(&o)),
        _ if cli.lf || cli.show_bytes => Err(
            "--lf and --show-bytes are options of the client, `wsgiscope telnet HOST PORT`".into(),
        ),
        _ if cli.third.is_some() => Err(format!(
            "one app only, please: {:?} is one word too many",
            cli.third.unwrap_or_default()
        )),
        Some("lessons") if cli.lesson.is_none() => course::list(host),
        Some("lesson") => {
            course::start(&cli, args, host).and_then(|(cli, lesson)| run(cli, Some(lesson)))
        }
        _ if cli.lesson.is_some() => Err(format!(
            "one app only, please: {:?} is one word too many (`wsgiscope lesson N` starts a \
             lesson)",
            cli.lesson.unwrap_or_default()
        )),
        _ => run(cli, None),
    }
}

/// The exit code of what the command did: 0, or 2 once the reason why not is on standard error.
fn exit_code(outcome: Result<(), String>) -> u8 {
    match outcome {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("wsgiscope: {message}");
            2
        }
    }
}

/// `wsgiscope --version`: the version, then the Python it runs in and where that Python is.
fn version(host: &Host) -> Result<(), String> {
    let (version, prefix) = Python::attach(python::interpreter).map_err(|e| e.to_string())?;
    println!("wsgiscope {}", env!("CARGO_PKG_VERSION"));
    println!("Python {version}");
    println!("Prefix {prefix}");
    println!("{}", host.which_python());
    Ok(())
}

/// `wsgiscope telnet [HOST] [PORT]`: the host and port after the word, or the course's.
fn telnet_options(cli: &Cli) -> Result<crate::telnet::Options, String> {
    let port = match &cli.third {
        None => crate::telnet::DEFAULT_PORT,
        Some(port) => port.parse().map_err(|_| {
            format!("`wsgiscope telnet HOST PORT` needs a port from 0 to 65535, not {port:?}")
        })?,
    };
    Ok(crate::telnet::Options {
        host: cli
            .lesson
            .clone()
            .unwrap_or_else(|| crate::telnet::DEFAULT_HOST.into()),
        port,
        lf: cli.lf,
        show_bytes: cli.show_bytes,
    })
}

/// Load the app, build the server and serve until stopped; with a lesson, show it too.
///
/// The order is the story a student can follow in the output: Python starts, the app is
/// imported (its own errors come first), the socket is bound, the banner says what runs where,
/// and only then does the server wait for clients.
fn run(cli: Cli, lesson: Option<Lesson>) -> Result<(), String> {
    let tui = wants_inspector(&cli);
    // A command line that cannot work is refused before Python starts or the app is imported.
    refuse_step_without_inspector(&cli, tui)?;
    change_folder(cli.chdir.as_deref())?;
    let spec = cli.app.as_deref().map(AppSpec::parse);
    let python_info = start_python(spec.as_ref(), cli.venv.as_deref())?;
    if tui {
        restore_terminal_on_exit()?;
    }
    let app = load_app(spec.as_ref())?;
    let (config, lowered) = server_config(&cli);
    let (observer, link) = choose_observer(&cli, tui);
    let mut server = start_server(config, app, observer)?;
    if let Some(lesson) = lesson.as_ref().filter(|_| !tui) {
        eprintln!("{}", lesson.plain_text());
    }
    let opening_lines = banner(&python_info, lowered, spec.as_ref());
    announce(&mut server, opening_lines, tui);
    // Only a terminal that shows the inspector has a link to it.
    let inspector = link
        .map(|link| open_inspector(link, &server, &python_info, spec.as_ref(), lesson.as_ref()))
        .transpose()?;
    serve(server, inspector)
}

/// `--chdir DIR`: make DIR the current folder, before the app is looked for in it.
fn change_folder(dir: Option<&Path>) -> Result<(), String> {
    let Some(dir) = dir else {
        return Ok(());
    };
    std::env::set_current_dir(dir).map_err(|e| {
        format!(
            "cannot change to the folder {} given with --chdir: {e}",
            dir.display()
        )
    })
}

/// Start the Python the app runs in, with the app's folder (and a venv's packages) on sys.path.
fn start_python(spec: Option<&AppSpec>, venv: Option<&Path>) -> Result<PythonInfo, String> {
    let folder = spec
        .map(AppSpec::folder)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    python::start(&folder, venv).map_err(|e| e.to_string())
}

/// Whether the inspector runs: a person watches a terminal, and no plain output was asked for.
fn wants_inspector(cli: &Cli) -> bool {
    !cli.no_tui && !cli.trace && cli.log == LogKind::Text && std::io::stdout().is_terminal()
}

/// Make an app that calls os._exit() put the terminal back first: it must not be left in the
/// inspector's raw mode.
fn restore_terminal_on_exit() -> Result<(), String> {
    Python::attach(|py| python::before_exit(py, inspector::terminal::emergency_restore))
        .map_err(|e| format!("cannot wrap os._exit: {e}"))
}

/// Import the app the command line names, or make the built-in demo app when it names none.
fn load_app(spec: Option<&AppSpec>) -> Result<Py<PyAny>, String> {
    Python::attach(|py| python::load_app(py, spec)).map_err(|e| e.to_string())
}

/// The server's settings from the options, and the sentence saying why `--max-connections`
/// was lowered to fit the open-file limit, if it was (the limit is raised here if it can be).
fn server_config(cli: &Cli) -> (ServerConfig, Option<String>) {
    let (connections, lowered) = server::connection_limit(cli.max_connections as usize);
    let config = ServerConfig {
        host: cli.host.clone(),
        port: cli.port,
        timeout: Duration::from_secs(cli.timeout),
        max_body: cli.max_body,
        debug: cli.debug,
        script_name: cli.script_name.clone(),
        strict: cli.strict,
        max_connections: connections,
        one_at_a_time: cli.one_at_a_time,
        keep_alive: cli.keep_alive,
    };
    (config, lowered)
}

/// `--step` waits for Space in the inspector, so without the inspector it is refused.
fn refuse_step_without_inspector(cli: &Cli, tui: bool) -> Result<(), String> {
    if cli.step && !tui {
        return Err(
            "--step needs the inspector, which runs when standard output is a terminal and neither --no-tui, --trace nor --log json is given"
                .into(),
        );
    }
    Ok(())
}

/// Where each exchange's record goes: to the inspector (with the link it reads them from), or
/// to the log on standard output in the format the options chose.
fn choose_observer(cli: &Cli, tui: bool) -> (Box<dyn Observer + Send>, Option<InspectorLink>) {
    if tui {
        let (observer, link) = inspector::channel(cli.step);
        // print() reaches the log view as the app writes it, not when the exchange ends.
        python::forward_output(observer.live_output());
        (Box::new(observer), Some(link))
    } else {
        (Box::new(Log::stdout(log_format(cli))), None)
    }
}

/// The log's format: `--log json`, else `--trace` for every exchange in full, else an access
/// line per request.
fn log_format(cli: &Cli) -> LogFormat {
    match (cli.log, cli.trace) {
        (LogKind::Json, _) => LogFormat::Json,
        (LogKind::Text, true) => LogFormat::Trace,
        (LogKind::Text, false) => LogFormat::Access,
    }
}

/// Bind the listening socket and make Ctrl-C (and SIGTERM) stop the server.
fn start_server(
    config: ServerConfig,
    app: Py<PyAny>,
    observer: Box<dyn Observer + Send>,
) -> Result<WSGIServer, String> {
    let server = WSGIServer::new(config, app, observer).map_err(|e| e.to_string())?;
    server
        .stop_signal()
        .on_signals()
        .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;
    Ok(server)
}

/// The lines that open every run: wsgiscope's version, the Python, a lowered connection
/// limit, the venv whose packages were added, and the app.
fn banner(
    python_info: &PythonInfo,
    lowered: Option<String>,
    spec: Option<&AppSpec>,
) -> Vec<String> {
    let mut banner = vec![
        format!(
            "wsgiscope {} — a WSGI server for learning, not for production",
            env!("CARGO_PKG_VERSION")
        ),
        format!("Python {} at {}", python_info.version, python_info.prefix),
    ];
    banner.extend(lowered);
    if let Some(site) = &python_info.venv_site_packages {
        banner.push(format!("Virtualenv packages from {}", site.display()));
    }
    banner.push(match spec {
        Some(spec) => format!("App: {}", spec.text),
        None => "App: none given, so the built-in demo app answers with the environ it receives"
            .to_string(),
    });
    banner
}

/// Print the banner, the address and how to try it on standard error; the banner goes in the
/// inspector's log too, since its screen hides the terminal until it quits.
fn announce(server: &mut WSGIServer, banner: Vec<String>, tui: bool) {
    for line in banner {
        eprintln!("{line}");
        if tui {
            server.announce(line);
        }
    }
    let address = server.address();
    eprintln!("Serving on http://{address}");
    eprintln!(
        "Try: telnet {} {}, then type GET / HTTP/1.1 and press Enter twice. {} stops.",
        address.ip(),
        address.port(),
        if tui { "q" } else { "Ctrl-C" }
    );
}

/// Open the inspector on this terminal, showing the lesson beside the exchanges if there is
/// one; its `q` stops `server`.
fn open_inspector(
    link: InspectorLink,
    server: &WSGIServer,
    python_info: &PythonInfo,
    spec: Option<&AppSpec>,
    lesson: Option<&Lesson>,
) -> Result<Inspector, String> {
    let info = ServerInfo {
        address: server.address(),
        app: spec.map_or_else(|| "(built-in demo)".to_string(), |s| s.text.clone()),
        // "3.12.3 (main, …) [GCC …]": the version number is the first word.
        python: python_info
            .version
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    let stop = server
        .stop_signal()
        .handle()
        .map_err(|e| format!("cannot create the inspector's stop handle: {e}"))?;
    Inspector::start_with_lesson(link, info, stop, lesson.map(LessonPanel::new))
        .map_err(|e| format!("cannot open the inspector on this terminal: {e}"))
}

/// Serve until stopped, then close the inspector and say how the run ended: an error, or the
/// idle connections closed to make room and "Stopped.".
fn serve(mut server: WSGIServer, inspector: Option<Inspector>) -> Result<(), String> {
    let served = server.serve_forever();
    // The inspector is closed even when serving failed, so the terminal is itself again
    // before the error is printed on it.
    let shown = inspector.map_or(Ok(()), Inspector::finish);
    // Both may have failed: the server's error is the one that explains the other.
    served.map_err(|e| format!("the server stopped on an error: {e}"))?;
    shown.map_err(|e| format!("the inspector failed: {e}"))?;
    let closed = server.closed_idle();
    if closed.total() > 0 {
        eprintln!("{closed}");
    }
    eprintln!("Stopped.");
    Ok(())
}

/// `wsgiscope lessons` and `wsgiscope lesson N`.
mod course {
    use std::ffi::OsString;

    use clap::Parser;

    use super::{Cli, Host};
    use crate::lessons::{self, Lesson};

    /// Where the lessons are, or why not.
    fn all(host: &Host) -> Result<Vec<Lesson>, String> {
        let installed = match host {
            Host::Binary => None,
            Host::Package { course } => Some(course.as_path()),
        };
        let dir = lessons::find_dir(installed).ok_or_else(|| match installed {
            None => format!(
                "no lessons folder here or in {}; run wsgiscope from the project folder",
                env!("CARGO_MANIFEST_DIR")
            ),
            Some(course) => format!(
                "no lessons folder here or in {}, where the wsgiscope package keeps its course; \
                 reinstall it with `pip install --force-reinstall wsgiscope`",
                course.display()
            ),
        })?;
        lessons::list(&dir).map_err(|e| e.to_string())
    }

    /// Print each lesson's number and title.
    pub fn list(host: &Host) -> Result<(), String> {
        for lesson in all(host)? {
            println!("{:>2}  {}", lesson.number, lesson.title);
        }
        println!("\nStart one with: wsgiscope lesson N");
        Ok(())
    }

    /// The command line of lesson N: the lesson's app and arguments first, then every option
    /// the student typed (so `--port 0` or `--no-tui` still apply, and win).
    pub fn start(cli: &Cli, args: &[OsString], host: &Host) -> Result<(Cli, Lesson), String> {
        let lessons = all(host)?;
        let wanted = cli.lesson.as_deref().ok_or(
            "`wsgiscope lesson NUMBER` needs the lesson's number; `wsgiscope lessons` lists them",
        )?;
        let lesson = wanted
            .parse::<u32>()
            .ok()
            .and_then(|n| lessons.iter().find(|l| l.number == n))
            .ok_or_else(|| {
                format!(
                    "there is no lesson {wanted}; there are {} (1 to {}), and \
                     `wsgiscope lessons` lists them",
                    lessons.len(),
                    lessons.last().map_or(0, |l| l.number)
                )
            })?
            .clone();
        let mut app = lesson
            .app()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("{} names no app", lesson.path.display()))?;
        let file = lesson.root().join(&app[0]);
        if file.exists() {
            app[0] = file.display().to_string();
        }
        let mut typed = args.to_vec();
        let program = typed.remove(0);
        // Drop the words `lesson` and N; keep everything else the student typed.
        if let Some(at) = typed.iter().position(|a| a == "lesson") {
            typed.remove(at);
            if let Some(n) = typed[at..].iter().position(|a| a.to_str() == Some(wanted)) {
                typed.remove(at + n);
            }
        }
        let argv = std::iter::once(program)
            .chain(app.into_iter().map(OsString::from))
            .chain(typed);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        Ok((cli, lesson))
    }
}
