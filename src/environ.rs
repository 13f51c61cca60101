//! The environ: the dict a WSGI server hands the app, built from the request.
//!
//! PEP 3333 borrows CGI's idea: the whole request is described by one dict of variables.
//! `REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING` and friends come from the request line; every
//! header becomes `HTTP_` + its name in capitals with `-` turned into `_` (`User-Agent` →
//! `HTTP_USER_AGENT`), except `Content-Type` and `Content-Length`, which CGI names
//! `CONTENT_TYPE` and `CONTENT_LENGTH`. The `wsgi.*` keys say how to read the body
//! (`wsgi.input`), where to write errors (`wsgi.errors`) and how the server runs.
//!
//! Two details are easy to get wrong, and this module is where to read them:
//!
//! - **Strings are "bytes as str".** The values are Python `str`, but each character is one byte
//!   of the request, decoded as latin-1 (PEP 3333 §Unicode Issues). So a UTF-8 path `/café`
//!   arrives as `'/cafÃ©'`, and the app recovers the text with
//!   `environ['PATH_INFO'].encode('latin-1').decode('utf-8')`.
//! - **`PATH_INFO` is decoded, `QUERY_STRING` is not.** The path is percent-decoded (`%20` →
//!   space) before the latin-1 step; the query string is passed exactly as sent, for the app's
//!   own parser.
//!
//! As wsgiref does, the part that is the same for every request (server name and port, the
//! `wsgi.*` flags) is built once by [`setup_environ`], and [`get_environ`] copies it and adds the
//! request's own keys.

use std::net::SocketAddr;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::checks::{self, Check};
use crate::python::OutputStream;
use crate::request::{BodyFraming, Request};

/// `SERVER_SOFTWARE`, and the `Server` response header.
pub const SERVER_SOFTWARE: &str = concat!("wsgiscope/", env!("CARGO_PKG_VERSION"));

/// Build the fixed part of the environ, once (wsgiref's `setup_environ`).
///
/// `server_name` and `port` are where the server listens; `script_name` is `--script-name`,
/// the path the app is mounted under ("" for the root).
pub fn setup_environ<'py>(
    py: Python<'py>,
    server_name: &str,
    port: u16,
    script_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let env = PyDict::new(py);
    env.set_item("SERVER_NAME", server_name)?;
    env.set_item("SERVER_PORT", port.to_string())?;
    env.set_item("SERVER_SOFTWARE", SERVER_SOFTWARE)?;
    env.set_item("SCRIPT_NAME", script_name)?;
    env.set_item("wsgi.version", (1, 0))?;
    // Plain HTTP only; a production server behind TLS would say "https".
    env.set_item("wsgi.url_scheme", "http")?;
    env.set_item("wsgi.errors", OutputStream::new("wsgi.errors"))?;
    // One thread, one process, and many requests per run: the tutorial's model.
    env.set_item("wsgi.multithread", false)?;
    env.set_item("wsgi.multiprocess", false)?;
    env.set_item("wsgi.run_once", false)?;
    // The whole body is read before the app runs, so reading wsgi.input to its end is safe.
    env.set_item("wsgi.input_terminated", true)?;
    // The standard library's FileWrapper is exactly what PEP 3333 §Optional Platform-Specific
    // File Handling describes: an iterable reading blocks from a file.
    env.set_item(
        "wsgi.file_wrapper",
        py.import("wsgiref.util")?.getattr("FileWrapper")?,
    )?;
    Ok(env)
}

/// Copy the fixed environ and add this request's keys (wsgiref's `get_environ`).
///
/// `body` is the whole request body, already read (and decoded, when it was chunked).
///
/// The fixed key names are interned (`intern!`): each Python string is made once per run,
/// not once per request.
pub fn get_environ<'py>(
    py: Python<'py>,
    base: &Bound<'py, PyDict>,
    request: &Request,
    body: Vec<u8>,
    client: SocketAddr,
) -> PyResult<Bound<'py, PyDict>> {
    let env = base.copy()?;
    env.set_item(intern!(py, "REQUEST_METHOD"), request.method.as_str())?;
    // The target arrived as bytes; httparse let through UTF-8, which must reach the app as
    // bytes-as-str like every other value (`'/café'` sent raw is `'/cafÃ©'`).
    env.set_item(
        intern!(py, "REQUEST_URI"),
        bytes_as_str(&request.target).as_ref(),
    )?;
    env.set_item(intern!(py, "SERVER_PROTOCOL"), request.version.as_str())?;
    env.set_item(
        intern!(py, "QUERY_STRING"),
        bytes_as_str(&request.query).as_ref(),
    )?;
    env.set_item(intern!(py, "REMOTE_ADDR"), client.ip().to_string())?;
    env.set_item(intern!(py, "REMOTE_PORT"), client.port().to_string())?;

    // SCRIPT_NAME + PATH_INFO is the whole path: strip the mount point from the front.
    let script_name: String = base
        .get_item(intern!(py, "SCRIPT_NAME"))?
        .map(|s| s.extract())
        .transpose()?
        .unwrap_or_default();
    let path = latin1(&percent_decode(request.raw_path.as_bytes()));
    match path_below(&path, &script_name) {
        Some(path_info) => env.set_item(intern!(py, "PATH_INFO"), path_info)?,
        None => {
            // Not below the mount point (`/other`, or `/application` under `/app`): the app was
            // not reached through it, so SCRIPT_NAME is empty and PATH_INFO the whole path, and
            // SCRIPT_NAME + PATH_INFO is still the path the client asked for.
            env.set_item(intern!(py, "SCRIPT_NAME"), "")?;
            env.set_item(intern!(py, "PATH_INFO"), path)?;
        }
    }

    for (key, value) in header_items(request) {
        env.set_item(key, PyString::new(py, &value))?;
    }
    if let Some(authority) = &request.authority {
        // RFC 9112 §3.2.2: an absolute-form target's authority replaces the Host header.
        env.set_item(intern!(py, "HTTP_HOST"), bytes_as_str(authority).as_ref())?;
    }
    if request.body == BodyFraming::Chunked {
        // The decoded body's length is known now that it was read whole; frameworks that only
        // read CONTENT_LENGTH bytes (Django does) see the body too.
        env.set_item(intern!(py, "CONTENT_LENGTH"), body.len().to_string())?;
    }
    // Without Content-Length or chunked framing the request has no body, and an app cannot
    // know where the input ends unless it trusts wsgi.input_terminated.
    let length_known = request.body != BodyFraming::None;
    env.set_item(
        intern!(py, "wsgi.input"),
        WsgiInput::new(body).length_known(length_known),
    )?;
    Ok(env)
}

/// The reprs of the fixed environ's values (`wsgi.version`, `wsgi.errors`, the flags...),
/// computed once: every request's environ is a copy holding the very same objects.
pub struct FixedReprs(Vec<(Py<PyAny>, String)>);

impl FixedReprs {
    /// The reprs of the values of `base`, the environ built by [`setup_environ`].
    pub fn new(base: &Bound<'_, PyDict>) -> Self {
        FixedReprs(
            base.values()
                .iter()
                .map(|value| {
                    let repr = value_repr(&value, None);
                    (value.unbind(), repr)
                })
                .collect(),
        )
    }

    /// The repr of `value` if it is one of the fixed objects (the same object, not an equal
    /// one: the app may have replaced it).
    fn get(&self, value: &Bound<'_, PyAny>) -> Option<&str> {
        self.0
            .iter()
            .find(|(fixed, _)| fixed.as_ptr() == value.as_ptr())
            .map(|(_, repr)| repr.as_str())
    }
}

/// The environ as the record keeps it: every key, with the Python `repr()` of its value
/// (what a student would see printing the environ in the app).
///
/// This runs for every request, so it avoids calling Python where it can give the same text
/// without: the fixed values' reprs were computed once, a `str` of printable ASCII without `'`
/// or `\\` has the repr `'text'`, and `wsgi.input` describes itself. Every other value goes
/// through Python's own `repr()`.
pub fn record(environ: &Bound<'_, PyDict>, fixed: &FixedReprs) -> Vec<(String, String)> {
    environ
        .iter()
        .map(|(key, value)| {
            let key = match key.cast_exact::<PyString>() {
                Ok(key) => key.to_string_lossy().into_owned(),
                Err(_) => value_repr(&key, None),
            };
            (key, value_repr(&value, Some(fixed)))
        })
        .collect()
}

/// `repr(value)`, without calling Python when the text is known.
fn value_repr(value: &Bound<'_, PyAny>, fixed: Option<&FixedReprs>) -> String {
    // to_cow, not to_str: the same borrow of the str's UTF-8 without a copy, and it is also
    // there in the package's abi3 build for Python 3.9, where to_str is not.
    if let Ok(text) = value.cast_exact::<PyString>()
        && let Ok(text) = text.to_cow()
        && text
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'\'' && b != b'\\')
    {
        let mut repr = String::with_capacity(text.len() + 2);
        repr.push('\'');
        repr.push_str(&text);
        repr.push('\'');
        return repr;
    }
    if let Some(repr) = fixed.and_then(|fixed| fixed.get(value)) {
        return repr.to_owned();
    }
    if let Ok(input) = value.cast_exact::<WsgiInput>()
        && let Ok(input) = input.try_borrow()
    {
        return input.describe();
    }
    match value.repr() {
        Ok(repr) => repr.to_string_lossy().into_owned(),
        Err(_) => "<repr failed>".into(),
    }
}

/// The environ keys and values for the request's headers: `HTTP_*`, `CONTENT_TYPE` and
/// `CONTENT_LENGTH`, with repeated headers joined by ", " (RFC 9110 §5.3), in the order the
/// headers first appeared. Cookie is the exception: its pairs are separated by "; ", and a
/// comma would glue two cookies into one value (RFC 6265 §5.4).
pub fn header_items(request: &Request) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = Vec::with_capacity(request.headers.len());
    for header in &request.headers {
        let key = environ_key(&header.name);
        let value = latin1(&header.value);
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some((key, joined)) => {
                joined.push_str(if key == "HTTP_COOKIE" { "; " } else { ", " });
                joined.push_str(&value);
            }
            None => items.push((key, value)),
        }
    }
    items
}

/// The environ key of a header name: `Content-Type` → `CONTENT_TYPE`, `User-Agent` →
/// `HTTP_USER_AGENT`.
pub fn environ_key(header_name: &str) -> String {
    let upper = header_name.to_ascii_uppercase().replace('-', "_");
    match upper.as_str() {
        "CONTENT_TYPE" | "CONTENT_LENGTH" => upper,
        _ => format!("HTTP_{upper}"),
    }
}

/// The part of `path` below the mount point `script_name` (all of it when there is no mount
/// point), or None when `path` is not below it: the mount point must end at a `/` of the path
/// or at its end, so `/application` is not below `/app`.
fn path_below<'a>(path: &'a str, script_name: &str) -> Option<&'a str> {
    let script_name = script_name.trim_end_matches('/');
    if script_name.is_empty() {
        return Some(path);
    }
    path.strip_prefix(script_name)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Decode `%XX` escapes; anything else (including a `%` not followed by two hex digits) stays as
/// it is, as `urllib.parse.unquote_to_bytes` does.
pub fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                raw.get(i + 1).copied().and_then(hex),
                raw.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Bytes as a "bytes-as-str" string: each byte becomes the character with the same number
/// (latin-1), so nothing is lost and `.encode('latin-1')` gives the bytes back.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Text that came off the wire as bytes (and was kept as UTF-8 by the parser), as a
/// bytes-as-str value: unchanged when it is ASCII, the common case; else each byte becomes
/// one latin-1 character.
fn bytes_as_str(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(latin1(text.as_bytes()))
    }
}

/// `wsgi.input`: the request body as a binary file the app reads from.
///
/// PEP 3333 §Input and Error Streams asks for `read(size)`, `readline(size)`, `readlines(hint)`
/// and iteration; all return `bytes`. The body was read whole before the app was called (a
/// simplification: a production server streams it from the socket), so reading never blocks
/// and stops cleanly at the end.
///
/// It also watches how it is read: `read()` or `readline()` with no size when the request had
/// no length is a mistake on a server that streams from the socket (it waits forever), so it
/// is noted as a finding ([`checks::INPUT_READ_UNBOUNDED`]).
#[pyclass(module = "wsgiscope")]
pub struct WsgiInput {
    data: Vec<u8>,
    pos: usize,
    /// Whether the request said how long its body is (Content-Length or chunked).
    length_known: bool,
    /// Findings about how the app read, for the server to collect.
    findings: Vec<Check>,
}

impl WsgiInput {
    /// A stream over `data`.
    pub fn new(data: Vec<u8>) -> Self {
        WsgiInput {
            data,
            pos: 0,
            length_known: true,
            findings: Vec::new(),
        }
    }

    /// Say whether the request gave the body's length.
    pub fn length_known(mut self, known: bool) -> Self {
        self.length_known = known;
        self
    }

    /// Its repr: `<wsgiscope.WsgiInput 12 bytes, 0 read>`.
    pub fn describe(&self) -> String {
        format!(
            "<wsgiscope.WsgiInput {} bytes, {} read>",
            self.data.len(),
            self.pos
        )
    }

    /// The findings so far, taken out.
    pub fn take_findings(&mut self) -> Vec<Check> {
        std::mem::take(&mut self.findings)
    }

    /// Note a read with no size (`method`) when the length is unknown, once per exchange.
    ///
    /// werkzeug (Flask) reads to the end only after checking `wsgi.input_terminated`, which
    /// this server sets True: that is PEP 3333-conforming, so reads coming straight from
    /// werkzeug's own code are not flagged.
    fn watch_unbounded(&mut self, py: Python<'_>, method: &str, size: Option<i64>) {
        if self.length_known || size.is_some_and(|n| n >= 0) || !self.findings.is_empty() {
            return;
        }
        if caller_module(py).is_some_and(|m| m == "werkzeug" || m.starts_with("werkzeug.")) {
            return;
        }
        self.findings.push(Check::new(
            &checks::INPUT_READ_UNBOUNDED,
            format!(
                "wsgi.input.{method}() was called with no size, and the request has no \
                 CONTENT_LENGTH"
            ),
        ));
    }

    /// The next `size` bytes (all the rest when `size` is None or negative).
    fn take(&mut self, size: Option<i64>) -> &[u8] {
        let rest = self.data.len() - self.pos;
        let n = match size {
            Some(n) if n >= 0 => (n as u64).min(rest as u64) as usize,
            _ => rest,
        };
        let start = self.pos;
        self.pos += n;
        &self.data[start..self.pos]
    }

    /// The rest of the current line, newline included, at most `size` bytes.
    fn take_line(&mut self, size: Option<i64>) -> &[u8] {
        let rest = &self.data[self.pos..];
        let line_len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let n = match size {
            Some(n) if n >= 0 => line_len.min(n as usize),
            _ => line_len,
        };
        self.take(Some(n as i64))
    }
}

#[pymethods]
impl WsgiInput {
    /// Read `size` bytes, or all that is left.
    #[pyo3(signature = (size=None))]
    fn read<'py>(&mut self, py: Python<'py>, size: Option<i64>) -> Bound<'py, PyBytes> {
        self.watch_unbounded(py, "read", size);
        PyBytes::new(py, self.take(size))
    }

    /// Read one line (up to and including b"\n"), at most `size` bytes.
    #[pyo3(signature = (size=None))]
    fn readline<'py>(&mut self, py: Python<'py>, size: Option<i64>) -> Bound<'py, PyBytes> {
        self.watch_unbounded(py, "readline", size);
        PyBytes::new(py, self.take_line(size))
    }

    /// Read lines until `hint` bytes were read (all lines when no hint).
    #[pyo3(signature = (hint=None))]
    fn readlines<'py>(&mut self, py: Python<'py>, hint: Option<i64>) -> Vec<Bound<'py, PyBytes>> {
        let limit = hint.filter(|&h| h > 0).map(|h| h as usize);
        let mut lines = Vec::new();
        let mut total = 0;
        while self.pos < self.data.len() && limit.is_none_or(|l| total < l) {
            let line = self.take_line(None);
            total += line.len();
            lines.push(PyBytes::new(py, line));
        }
        lines
    }

    /// Iterating yields lines.
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        (self.pos < self.data.len()).then(|| PyBytes::new(py, self.take_line(None)))
    }

    fn __repr__(&self) -> String {
        self.describe()
    }
}

/// The module name (`__name__`) of the Python code that called into Rust just now.
fn caller_module(py: Python<'_>) -> Option<String> {
    // A Rust method has no Python frame of its own, so frame 0 is its caller's.
    let frame = py
        .import("sys")
        .ok()?
        .call_method1("_getframe", (0,))
        .ok()?;
    frame
        .getattr("f_globals")
        .ok()?
        .get_item("__name__")
        .ok()?
        .extract()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_become_cgi_keys() {
        assert_eq!(environ_key("User-Agent"), "HTTP_USER_AGENT");
        assert_eq!(environ_key("content-type"), "CONTENT_TYPE");
        assert_eq!(environ_key("Content-Length"), "CONTENT_LENGTH");
        assert_eq!(environ_key("X-Forwarded-For"), "HTTP_X_FORWARDED_FOR");
    }

    #[test]
    fn percent_decoding_keeps_broken_escapes() {
        assert_eq!(percent_decode(b"/a%20b%2Fc"), b"/a b/c");
        assert_eq!(percent_decode(b"/100%"), b"/100%");
        assert_eq!(percent_decode(b"/%zz%4"), b"/%zz%4");
        assert_eq!(percent_decode(b"/caf%C3%A9"), "/café".as_bytes());
    }

    #[test]
    fn raw_utf8_in_the_target_becomes_bytes_as_str() {
        assert_eq!(bytes_as_str("q=1"), "q=1");
        assert_eq!(bytes_as_str("q=café"), "q=cafÃ©");
    }

    #[test]
    fn utf8_bytes_become_latin1_characters() {
        assert_eq!(latin1("/café".as_bytes()), "/cafÃ©");
    }

    #[test]
    fn script_name_is_stripped_only_at_a_segment_boundary() {
        assert_eq!(path_below("/app/users", "/app"), Some("/users"));
        assert_eq!(path_below("/app", "/app"), Some(""));
        assert_eq!(path_below("/app/", "/app/"), Some("/"));
        assert_eq!(path_below("/application", "/app"), None);
        assert_eq!(path_below("/other", "/app"), None);
        assert_eq!(path_below("/users", ""), Some("/users"));
    }

    #[test]
    fn input_reads_lines_and_sizes() {
        let mut input = WsgiInput::new(b"one\ntwo\nthree".to_vec());
        assert_eq!(input.take_line(None), b"one\n");
        assert_eq!(input.take_line(Some(2)), b"tw");
        assert_eq!(input.take(Some(100)), b"o\nthree");
        assert_eq!(input.take(None), b"");
    }

    #[test]
    fn record_reprs_are_exactly_pythons() {
        Python::attach(|py| {
            let env = PyDict::new(py);
            let texts = [
                "",
                "plain",
                "it's",
                "say \"hi\"",
                "both ' and \"",
                "back\\slash",
                "tab\tx",
                "caf\u{e9}",
                "\u{80}\u{a0}\u{ff}",
                "\u{7f}",
                "/caf\u{c3}\u{a9}",
            ];
            for (i, text) in texts.iter().enumerate() {
                env.set_item(format!("K{i}"), text).unwrap();
            }
            env.set_item("wsgi.version", (1, 0)).unwrap();
            env.set_item("wsgi.run_once", false).unwrap();
            env.set_item("wsgi.input", WsgiInput::new(b"body".to_vec()))
                .unwrap();
            let fixed = FixedReprs::new(&setup_environ(py, "127.0.0.1", 8888, "").unwrap());
            for (key, value) in setup_environ(py, "127.0.0.1", 8888, "").unwrap().iter() {
                env.set_item(key, value).unwrap();
            }
            for (key, repr) in record(&env, &fixed) {
                let value = env.get_item(&key).unwrap().unwrap();
                assert_eq!(repr, value.repr().unwrap().to_string(), "the repr of {key}");
            }
        });
    }
}
