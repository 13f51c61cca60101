//! The `wsgiscope` command: read the command line, load the app, start the server.
//!
//! Everything that can go wrong before the server runs (a bad option, an app that will not
//! import, a port in use) ends here with one paragraph on standard error and exit code 2.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use pyo3::Python;

use wsgiscope::exchange::Observer;
use wsgiscope::inspector::{self, Inspector, ServerInfo};
use wsgiscope::log::{Log, LogFormat};
use wsgiscope::python::{self, AppSpec};
use wsgiscope::server::{ServerConfig, WSGIServer};

/// wsgiscope: a WSGI server for learning. It runs a Python WSGI app and shows what the server
/// does with every request.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    /// The app to serve: module:callable, module (callable `application`, then `app`),
    /// path/to/file.py[:callable], or module:factory(). Left out: a built-in demo app that
    /// answers with the environ it received.
    app: Option<String>,

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

    /// Seconds a client may stay silent before it is dropped (with a 408 if it had begun).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
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

    /// A virtualenv whose packages the app may import (default: $VIRTUAL_ENV, if set).
    #[arg(long, value_name = "PATH")]
    venv: Option<PathBuf>,

    /// Answer 500 for every response in which the app broke a PEP 3333 or HTTP rule, as
    /// wsgiref's validator would (by default the response is served and the finding noted).
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogKind {
    Text,
    Json,
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "wsgiscope: internal error, this is a bug in wsgiscope and not in your app: {info}"
        );
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("wsgiscope: {message}");
            ExitCode::from(2)
        }
    }
}

/// Load the app, build the server and serve until stopped.
fn run(cli: Cli) -> Result<(), String> {
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir).map_err(|e| {
            format!(
                "cannot change to the folder {} given with --chdir: {e}",
                dir.display()
            )
        })?;
    }
    let spec = cli.app.as_deref().map(AppSpec::parse);
    let folder = spec
        .as_ref()
        .map(AppSpec::folder)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    let info = python::start(&folder, cli.venv.as_deref()).map_err(|e| e.to_string())?;
    let app =
        Python::attach(|py| python::load_app(py, spec.as_ref())).map_err(|e| e.to_string())?;

    let format = match (cli.log, cli.trace) {
        (LogKind::Json, _) => LogFormat::Json,
        (LogKind::Text, true) => LogFormat::Trace,
        (LogKind::Text, false) => LogFormat::Access,
    };
    let config = ServerConfig {
        host: cli.host.clone(),
        port: cli.port,
        timeout: Duration::from_secs(cli.timeout.max(1)),
        max_body: cli.max_body,
        debug: cli.debug,
        script_name: cli.script_name.clone(),
        strict: cli.strict,
    };
    // The inspector when a person watches a terminal; the text log otherwise.
    let tui =
        !cli.no_tui && !cli.trace && cli.log == LogKind::Text && std::io::stdout().is_terminal();
    if cli.step && !tui {
        return Err(
            "--step needs the inspector, which runs when standard output is a terminal and neither --no-tui, --trace nor --log json is given"
                .into(),
        );
    }
    let (observer, link): (Box<dyn Observer>, _) = if tui {
        let (observer, link) = inspector::channel(cli.step);
        (Box::new(observer), Some(link))
    } else {
        (Box::new(Log::stdout(format)), None)
    };
    let mut server = WSGIServer::new(config, app, observer).map_err(|e| e.to_string())?;
    server
        .stop_signal()
        .on_signals()
        .map_err(|e| format!("cannot catch Ctrl-C: {e}"))?;

    let address = server.address();
    eprintln!(
        "wsgiscope {} — a WSGI server for learning, not for production",
        env!("CARGO_PKG_VERSION")
    );
    eprintln!("Python {} at {}", info.version, info.prefix);
    if let Some(site) = &info.venv_site_packages {
        eprintln!("Virtualenv packages from {}", site.display());
    }
    match &spec {
        Some(spec) => eprintln!("App: {}", spec.text),
        None => eprintln!(
            "App: none given, so the built-in demo app answers with the environ it receives"
        ),
    }
    eprintln!("Serving on http://{address}");
    eprintln!(
        "Try: telnet {} {}, then type GET / HTTP/1.1 and press Enter twice. {} stops.",
        address.ip(),
        address.port(),
        if tui { "q" } else { "Ctrl-C" }
    );
    let inspector = match link {
        Some(link) => {
            let info = ServerInfo {
                address,
                app: spec
                    .as_ref()
                    .map_or_else(|| "(built-in demo)".to_string(), |s| s.text.clone()),
                python: info
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
            Some(
                Inspector::start(link, info, stop)
                    .map_err(|e| format!("cannot open the inspector on this terminal: {e}"))?,
            )
        }
        None => None,
    };
    let served = server.serve_forever();
    if let Some(inspector) = inspector {
        inspector
            .finish()
            .map_err(|e| format!("the inspector failed: {e}"))?;
    }
    served.map_err(|e| format!("the server stopped on an error: {e}"))?;
    eprintln!("Stopped.");
    Ok(())
}
