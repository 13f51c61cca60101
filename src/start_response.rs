//! `start_response`: the callback through which the app names its status and headers.
//!
//! Why a callback and not a return value? Because the body comes later and may be a generator
//! that is still running when the headers must go out; and because an app that fails half-way
//! may want to replace its headers with an error page (PEP 3333 §The start_response() Callable).
//! So the server hands the app a function; the app calls it with
//! `(status, response_headers, exc_info=None)` and gets back `write`, a legacy way to send body
//! bytes imperatively.
//!
//! [`StartResponse`] is a Rust object Python can call. It checks the arguments as the standard
//! library's wsgiref does, and raises a Python exception naming the rule when one is broken: the
//! app sees the exception (as it would under wsgiref) and the exchange record keeps it.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::exchange::StartResponseCall;
use crate::response::{Head, Response};

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, which is the server's
/// business, so PEP 3333 §Other HTTP Features forbids the app to set them.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
];

/// The `start_response` callable handed to the app.
#[pyclass(module = "wsgiscope", frozen)]
pub struct StartResponse {
    response: Arc<Mutex<Response>>,
}

impl StartResponse {
    /// A start_response that sets the head of `response`.
    pub fn new(response: Arc<Mutex<Response>>) -> Self {
        StartResponse { response }
    }
}

/// Lock the shared response. A poisoned lock means a panic happened while sending; the data is
/// still usable for the record.
pub fn lock(response: &Mutex<Response>) -> MutexGuard<'_, Response> {
    response
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[pymethods]
impl StartResponse {
    /// `start_response(status, response_headers, exc_info=None)` → `write`.
    #[pyo3(signature = (status, response_headers, exc_info=None))]
    fn __call__(
        &self,
        py: Python<'_>,
        status: &Bound<'_, PyAny>,
        response_headers: &Bound<'_, PyAny>,
        exc_info: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Write> {
        let exc_info = exc_info.filter(|e| !e.is_none());
        let mut call = StartResponseCall {
            status: status
                .cast::<PyString>()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| repr(status)),
            headers: header_pairs_for_record(response_headers),
            exc_info: exc_info.map(repr),
            error: None,
        };
        let result = self.start(py, status, response_headers, exc_info);
        if let Err(err) = &result {
            call.error = Some(crate::python::describe(py, err));
        }
        lock(&self.response).calls.push(call);
        result.map(|()| Write {
            response: Arc::clone(&self.response),
        })
    }
}

impl StartResponse {
    /// The rules of a call, in the order wsgiref applies them.
    fn start(
        &self,
        py: Python<'_>,
        status: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        exc_info: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let already_started = lock(&self.response).head.is_some();
        match exc_info {
            // Too late to change anything: re-raise the app's own error, so it stops.
            Some(exc_info) if lock(&self.response).headers_sent => {
                return Err(reraise(py, exc_info));
            }
            // Nothing sent yet: the new status and headers replace the old ones.
            Some(_) => {}
            None if already_started => {
                return Err(PyRuntimeError::new_err(
                    "start_response was already called; a second call must pass exc_info, and \
                     only an app handling an error should make one (PEP 3333 §The \
                     start_response() Callable)",
                ));
            }
            None => {}
        }
        let (status, code) = check_status(status)?;
        let headers = check_headers(headers)?;
        lock(&self.response).head = Some(Head {
            status,
            code,
            headers,
        });
        Ok(())
    }
}

/// `exc_info` is `(type, value, traceback)`: raise `value` with its traceback again.
fn reraise(py: Python<'_>, exc_info: &Bound<'_, PyAny>) -> PyErr {
    let value = exc_info
        .cast::<PyTuple>()
        .ok()
        .filter(|t| t.len() == 3)
        .and_then(|t| t.get_item(1).ok());
    match value {
        Some(value) if !value.is_none() => PyErr::from_value(value),
        _ => PyTypeError::new_err(format!(
            "exc_info must be the 3-tuple sys.exc_info() returns, got {} (PEP 3333 §The \
             start_response() Callable)",
            repr(exc_info)
        )),
    }
    .clone_ref(py)
}

/// Check the status argument: a str like "200 OK" (PEP 3333 §The start_response() Callable).
pub fn check_status(status: &Bound<'_, PyAny>) -> PyResult<(String, u16)> {
    let Ok(text) = status.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "status must be a str like '200 OK', not {} {} (PEP 3333 §The start_response() \
             Callable)",
            type_name(status),
            repr(status)
        )));
    };
    let text = text.to_string();
    let code = status_code(&text).map_err(PyValueError::new_err)?;
    Ok((text, code))
}

/// The code of a status line such as "404 Not Found", or why it is not one.
pub fn status_code(status: &str) -> Result<u16, String> {
    let rule = "(PEP 3333 §The start_response() Callable)";
    let bytes = status.as_bytes();
    if bytes.len() < 4 || !bytes[..3].iter().all(u8::is_ascii_digit) || bytes[3] != b' ' {
        return Err(format!(
            "status {status:?} must be a 3-digit code, a space and a reason, like '200 OK' {rule}"
        ));
    }
    if let Some(c) = status.chars().find(|c| c.is_control()) {
        return Err(format!(
            "status {status:?} contains the control character {c:?} {rule}"
        ));
    }
    if status.chars().any(|c| c as u32 > 0xff) {
        return Err(format!(
            "status {status:?} has characters outside latin-1 {rule}"
        ));
    }
    // Checked above: three ASCII digits.
    let code: u16 = status[..3].parse().expect("three ASCII digits");
    if code < 100 {
        return Err(format!(
            "status code {code} is below 100; HTTP status codes run from 100 to 599 (RFC 9110 \
             §15)"
        ));
    }
    Ok(code)
}

/// Check the headers argument: a list of (name, value) tuples of str.
pub fn check_headers(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let rule = "(PEP 3333 §The start_response() Callable)";
    let Ok(list) = headers.cast::<PyList>() else {
        return Err(PyTypeError::new_err(format!(
            "response_headers must be a list of (name, value) tuples, not {} {rule}",
            type_name(headers)
        )));
    };
    let mut checked = Vec::with_capacity(list.len());
    for item in list.iter() {
        let pair = item
            .cast::<PyTuple>()
            .ok()
            .filter(|t| t.len() == 2)
            .ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "each response header must be a (name, value) tuple, got {} {rule}",
                    repr(&item)
                ))
            })?;
        let (name, value) = (pair.get_item(0)?, pair.get_item(1)?);
        let (Ok(name), Ok(value)) = (name.cast::<PyString>(), value.cast::<PyString>()) else {
            return Err(PyTypeError::new_err(format!(
                "header names and values must be str, got {} {rule}",
                repr(&item)
            )));
        };
        let (name, value) = (name.to_string(), value.to_string());
        check_header(&name, &value).map_err(PyValueError::new_err)?;
        checked.push((name, value));
    }
    Ok(checked)
}

/// The rules for one header: a token name, not hop-by-hop, not `Status`; a latin-1 value
/// without CR, LF or other control characters.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(format!(
            "header name {name:?} is not a token (letters, digits and !#$%&'*+-.^_`|~ only; RFC \
             9110 §5.1)"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if HOP_BY_HOP.contains(&lower.as_str()) {
        return Err(format!(
            "{name} is a hop-by-hop header, which only the server may set (PEP 3333 §Other HTTP \
             Features)"
        ));
    }
    if lower == "status" {
        return Err(
            "a 'Status' header is CGI's way to set the status; in WSGI the status is the first \
             argument of start_response (PEP 3333 §The start_response() Callable)"
                .to_string(),
        );
    }
    if let Some(c) = value.chars().find(|&c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of header {name} contains the control character {c:?}; CR and LF would \
             let it start a new header (RFC 9110 §5.5)"
        ));
    }
    if value.chars().any(|c| c as u32 > 0xff) {
        return Err(format!(
            "the value of header {name} has characters outside latin-1: {value:?}; encode it \
             (e.g. RFC 8187 for filenames) or use ASCII (PEP 3333 §Unicode Issues)"
        ));
    }
    Ok(())
}

/// A token character (RFC 9110 §5.6.2).
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The headers argument as pairs for the record, whatever shape it had.
fn header_pairs_for_record(headers: &Bound<'_, PyAny>) -> Vec<(String, String)> {
    let pairs = headers.cast::<PyList>().ok().and_then(|list| {
        list.iter()
            .map(|item| {
                let t = item.cast::<PyTuple>().ok().filter(|t| t.len() == 2)?;
                let text = |i| {
                    let v = t.get_item(i).ok()?;
                    Some(
                        v.cast::<PyString>()
                            .map(|s| s.to_string())
                            .unwrap_or_else(|_| repr(&v)),
                    )
                };
                Some((text(0)?, text(1)?))
            })
            .collect::<Option<Vec<_>>>()
    });
    pairs.unwrap_or_else(|| vec![("(not a list of pairs)".into(), repr(headers))])
}

/// `repr(obj)`, or a placeholder when repr itself fails.
pub fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<repr failed>".into())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// The `write(data)` callable start_response returns: sends body bytes right away.
///
/// PEP 3333 keeps it for old frameworks that print their output; new apps return an iterable.
#[pyclass(module = "wsgiscope", frozen)]
pub struct Write {
    response: Arc<Mutex<Response>>,
}

#[pymethods]
impl Write {
    fn __call__(&self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(bytes) = data.cast::<PyBytes>() else {
            return Err(PyTypeError::new_err(format!(
                "write() takes bytes, not {}; encode text first, e.g. text.encode('utf-8') (PEP \
                 3333 §Unicode Issues)",
                type_name(data)
            )));
        };
        let mut response = lock(&self.response);
        if response.head.is_none() {
            return Err(PyRuntimeError::new_err(
                "write() was called before start_response set a status",
            ));
        }
        response.writes.push(bytes.as_bytes().len());
        response.send_body(bytes.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_needs_code_space_reason() {
        assert_eq!(status_code("200 OK"), Ok(200));
        assert_eq!(status_code("404 Not Found"), Ok(404));
        assert!(status_code("200").unwrap_err().contains("3-digit"));
        assert!(status_code("OK 200").is_err());
        assert!(status_code("099 Low").unwrap_err().contains("below 100"));
        assert!(
            status_code("200 OK\r\nX: y")
                .unwrap_err()
                .contains("control")
        );
    }

    #[test]
    fn header_rules() {
        assert!(check_header("Content-Type", "text/plain").is_ok());
        assert!(check_header("Bad Name", "x").unwrap_err().contains("token"));
        assert!(
            check_header("Connection", "close")
                .unwrap_err()
                .contains("hop-by-hop")
        );
        assert!(check_header("Status", "200 OK").is_err());
        assert!(
            check_header("X-A", "a\r\nSet-Cookie: x")
                .unwrap_err()
                .contains("control")
        );
        assert!(check_header("X-A", "café").is_ok());
        assert!(
            check_header("X-A", "snow ☃")
                .unwrap_err()
                .contains("latin-1")
        );
    }
}
