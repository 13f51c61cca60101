//! The headless consumers of the exchange record: an access log, a full trace, JSON lines.
//!
//! All three read the same [`Exchange`] the inspector reads; they differ only in how much of
//! it they print. They write to standard output, one exchange at a time, after it finished.
//!
//! - **access** (default): one line per request, as wsgiref and Apache print it,
//!   `127.0.0.1 - - [25/Nov/2026 10:00:00] "GET / HTTP/1.1" 200 12`, with ` [2 findings]`
//!   after the size when the checks found something, followed by what the app printed, the
//!   findings and any error, indented.
//! - **trace** (`--trace`): the whole record as text: request and response bytes with `\r\n`
//!   visible, the environ sorted, the start_response arguments, timings, findings.
//! - **json** (`--log json`): one JSON object per exchange, the fields of
//!   [`Exchange::to_json`]; the interface tests and other programs read.

use std::io::{self, Write};

use crate::checks::Check;
use crate::clock::PerSecond;
use crate::exchange::{CappedBytes, Event, Exchange, Observer, OutputLine, Phase, escape_bytes};

/// Which text the log prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One access-log line per exchange.
    Access,
    /// The full record, readable.
    Trace,
    /// One JSON object per line.
    Json,
}

/// An [`Observer`] that prints each finished exchange to a writer (standard output in the
/// program, a buffer in tests).
pub struct Log<W: Write> {
    format: LogFormat,
    out: W,
}

impl Log<io::Stdout> {
    /// A log on standard output.
    pub fn stdout(format: LogFormat) -> Self {
        Log {
            format,
            out: io::stdout(),
        }
    }
}

impl<W: Write> Log<W> {
    /// A log writing to `out`.
    pub fn new(format: LogFormat, out: W) -> Self {
        Log { format, out }
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_exchange(&mut self, exchange: &Exchange) -> io::Result<()> {
        let text = match self.format {
            LogFormat::Access => access_text(exchange),
            LogFormat::Trace => trace_text(exchange),
            LogFormat::Json => format!("{}\n", exchange.to_json()),
        };
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }

    fn write_output(&mut self, line: &OutputLine) -> io::Result<()> {
        match self.format {
            // JSON lines stay machine-readable: output outside an exchange becomes an object.
            LogFormat::Json => writeln!(
                self.out,
                "{}",
                serde_json::json!({"output": {"stream": line.stream, "text": line.text}})
            )?,
            _ => writeln!(self.out, "[{}] {}", line.stream, line.text)?,
        }
        self.out.flush()
    }
}

impl<W: Write> Observer for Log<W> {
    fn on_event(&mut self, event: Event) {
        // Standard output closed (`| head`): nothing to do but keep serving.
        let _ = match event {
            Event::Finished(exchange) => self.write_exchange(&exchange),
            Event::Output(line) => self.write_output(&line),
            _ => Ok(()),
        };
    }
}

/// `25/Nov/2026 10:00:00`, the time in an access line; formatted once a second and reused,
/// since formatting it was a tenth of the cost of a line.
fn access_time(at: &chrono::DateTime<chrono::Local>) -> String {
    thread_local! {
        static TIME: PerSecond = const { PerSecond::new() };
    }
    TIME.with(|time| time.get(at.timestamp(), || at.format("%d/%b/%Y %H:%M:%S")))
}

/// `127.0.0.1 - - [25/Nov/2026 10:00:00] "GET / HTTP/1.1" 200 12`, then indented output,
/// findings, errors and traceback.
pub fn access_text(exchange: &Exchange) -> String {
    let mut text = format!(
        "{} - - [{}] \"{}\" {} {}{}{}\n",
        exchange.client.ip(),
        access_time(&exchange.started),
        exchange.request_line(),
        exchange
            .status
            .map_or_else(|| "-".to_string(), |s| s.to_string()),
        exchange.body_bytes,
        if exchange.connection.kept_open {
            " [kept open]"
        } else {
            ""
        },
        crate::checks::marker(exchange.checks.len()),
    );
    for line in &exchange.output {
        text.push_str(&format!("    [{}] {}\n", line.stream, line.text));
    }
    if !exchange.output_cut.is_empty() {
        text.push_str(&format!("    {}\n", exchange.output_cut));
    }
    for check in &exchange.checks {
        text.push_str(&finding_text("note ", check));
    }
    for error in &exchange.errors {
        text.push_str(&format!("    error [{}]: {}\n", error.rule, error.message));
    }
    if let Some(traceback) = &exchange.traceback {
        for line in traceback.lines() {
            text.push_str(&format!("    {line}\n"));
        }
    }
    text
}

/// The whole record as readable text: a section for each thing the server saw or did, in the
/// order it happened (the connection, the request's bytes, the environ, the app's calls, the
/// response's bytes, the timings), then what the app printed and what went wrong.
pub fn trace_text(ex: &Exchange) -> String {
    let mut t = String::new();
    trace_connection(&mut t, ex);
    trace_wire(&mut t, "request", "as received", &ex.request_raw);
    trace_environ(&mut t, ex);
    trace_app_calls(&mut t, ex);
    trace_wire(&mut t, "response", "as sent", &ex.response_raw);
    trace_timings(&mut t, ex);
    trace_outcome(&mut t, ex);
    t
}

/// The heading: which exchange, from whom, when, and on which connection.
fn trace_connection(t: &mut String, ex: &Exchange) {
    t.push_str(&format!(
        "=== exchange {} from {} at {}\n",
        ex.id,
        ex.client,
        ex.started.format("%Y-%m-%d %H:%M:%S%.3f")
    ));
    let on = ex.connection;
    t.push_str(&format!(
        "--- connection {}, request {} on it, {}{}\n",
        on.id,
        on.request,
        if on.kept_open {
            "kept open for the next request"
        } else {
            "closed after it"
        },
        ex.framing
            .map(|f| format!("; body framing: {}", f.name()))
            .unwrap_or_default()
    ));
}

/// The environ, sorted by key (none for a request refused before the app).
fn trace_environ(t: &mut String, ex: &Exchange) {
    if ex.environ.is_empty() {
        return;
    }
    t.push_str("--- environ, as the app received it\n");
    let mut environ: Vec<_> = ex.environ.iter().collect();
    environ.sort();
    for (key, value) in environ {
        t.push_str(&format!("    {key} = {value}\n"));
    }
}

/// What the app called: each start_response with its arguments, then the write() calls.
fn trace_app_calls(t: &mut String, ex: &Exchange) {
    for (i, call) in ex.start_response.iter().enumerate() {
        t.push_str(&format!("--- start_response call {}\n", i + 1));
        t.push_str(&format!("    status = {:?}\n", call.status));
        t.push_str("    headers = [\n");
        for (name, value) in &call.headers {
            t.push_str(&format!("        ({name:?}, {value:?}),\n"));
        }
        t.push_str("    ]\n");
        t.push_str(&format!(
            "    exc_info = {}\n",
            call.exc_info.as_deref().unwrap_or("None")
        ));
        if let Some(error) = &call.error {
            t.push_str(&format!("    raised {error}\n"));
        }
    }
    if ex.write_calls > ex.writes.len() as u64 {
        t.push_str(&format!(
            "--- write() calls: {}, the first {} of {:?} bytes\n",
            ex.write_calls,
            ex.writes.len(),
            ex.writes
        ));
    } else if !ex.writes.is_empty() {
        t.push_str(&format!("--- write() calls: {:?} bytes\n", ex.writes));
    }
}

/// How long each phase took (or that it was never reached), and the client's own time.
fn trace_timings(t: &mut String, ex: &Exchange) {
    t.push_str("--- timings\n   ");
    for phase in Phase::ALL {
        if ex.timings.reached(phase) {
            t.push_str(&format!(
                " {} {}µs",
                phase.name(),
                ex.timings.of(phase).as_micros()
            ));
        } else {
            t.push_str(&format!(" {} not reached", phase.name()));
        }
    }
    t.push_str(&format!(
        "; receiving (the client's time) {}µs\n",
        ex.timings.receiving.as_micros()
    ));
}

/// What the app printed, the findings, the errors and the traceback.
fn trace_outcome(t: &mut String, ex: &Exchange) {
    for line in &ex.output {
        t.push_str(&format!("--- {}: {}\n", line.stream, line.text));
    }
    if !ex.output_cut.is_empty() {
        t.push_str(&format!("--- {}\n", ex.output_cut));
    }
    if !ex.checks.is_empty() {
        t.push_str("--- findings\n");
        for check in &ex.checks {
            t.push_str(&finding_text("", check));
        }
    }
    for error in &ex.errors {
        t.push_str(&format!("--- error [{}]: {}\n", error.rule, error.message));
    }
    if let Some(traceback) = &ex.traceback {
        t.push_str("--- traceback\n");
        for line in traceback.lines() {
            t.push_str(&format!("    {line}\n"));
        }
    }
}

/// One finding as two indented lines: the rule, what happened and where the rule is written,
/// then how to fix it. `label` goes before the rule id.
fn finding_text(label: &str, check: &Check) -> String {
    format!(
        "    {label}{}: {} ({})\n        fix: {}\n",
        check.rule, check.message, check.reference, check.fix
    )
}

/// The bytes of the request or the response (`what`), one line per line, with `\r\n` written
/// out and the line break kept.
fn trace_wire(t: &mut String, what: &str, how: &str, wire: &CappedBytes) {
    t.push_str(&format!("--- {what}, {} bytes, {how}\n", wire.total));
    for line in wire.stored.split_inclusive(|&b| b == b'\n') {
        t.push_str("    ");
        t.push_str(&escape_bytes(line));
        t.push('\n');
    }
    let cut = wire.cut();
    if cut > 0 {
        t.push_str(&format!("    … {cut} more bytes not stored\n"));
    }
}
