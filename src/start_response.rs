//! `start_response`: the callback through which the app names its status and headers.
//!
//! Why a callback and not a return value? Because the body comes later and may be a generator
//! that is still running when the headers must go out; and because an app that fails half-way
//! may want to replace its headers with an error page (PEP 3333 §The start_response() Callable).
//! So the server hands the app a function; the app calls it with
//! `(status, response_headers, exc_info=None)` and gets back `write`, a legacy way to send body
//! bytes imperatively.
//!
//! [`StartResponse`] is a Rust object Python can call. It checks the arguments against the
//! rules of [`crate::checks`] and records every finding on the exchange. A mistake that makes
//! the response impossible (no status line can be made, a header would break the header block)
//! raises a Python exception naming the rule, as wsgiref does: the app sees it, and the server
//! answers 500. A mistake the server can live with (a status without reason phrase, a tuple of
//! headers instead of a list, a hop-by-hop header, which is dropped) is only flagged.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyDict, PyList, PySequence, PyString, PyTuple};

use crate::checks::{self, Check, HeaderVerdict, Spot, StatusVerdict};
use crate::exchange::StartResponseCall;
use crate::response::{Head, Response};

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
///
/// Called with the GIL held (from the app, or while the server runs it): if another thread
/// holds the response, the GIL is let go while waiting for it. Without that, an app thread
/// calling `write()` (holding the GIL, waiting for the response) and the server writing to a
/// slow client (holding the response, waiting for the GIL once the client reads) would wait
/// for each other for ever.
pub fn lock<'a>(py: Python<'_>, response: &'a Mutex<Response>) -> MutexGuard<'a, Response> {
    response
        .lock_py_attached(py)
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
        // Read the headers once: a generator gives its items only once, and the record and
        // the response must both see them.
        let headers = HeadersArg::read(response_headers);
        let mut call = StartResponseCall {
            status: status
                .cast::<PyString>()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| repr(status)),
            headers: headers.pairs_for_record(),
            exc_info: exc_info.map(repr),
            error: None,
        };
        let index = lock(py, &self.response).calls.len();
        let mut findings = Vec::new();
        let result = self.start(py, index, status, headers, exc_info, &mut findings);
        if let Err(err) = &result {
            call.error = Some(crate::python::describe(py, err));
        }
        let mut response = lock(py, &self.response);
        response.calls.push(call);
        for finding in findings {
            response.flag(finding);
        }
        result.map(|()| Write {
            response: Arc::clone(&self.response),
        })
    }
}

/// The text of the exception raised for a finding: what happened, where the rule is written,
/// and the rule id to look up in the inspector's Checks view.
pub fn exception_text(check: &Check) -> String {
    format!(
        "{} ({}; rule {})",
        check.message, check.reference, check.rule
    )
}

/// Record `check` and build the exception that tells the app about it.
fn refuse(make: fn(String) -> PyErr, check: Check, findings: &mut Vec<Check>) -> PyErr {
    let err = make(exception_text(&check));
    findings.push(check);
    err
}

fn type_error(text: String) -> PyErr {
    PyTypeError::new_err(text)
}

fn value_error(text: String) -> PyErr {
    PyValueError::new_err(text)
}

fn runtime_error(text: String) -> PyErr {
    PyRuntimeError::new_err(text)
}

impl StartResponse {
    /// The rules of call number `call`, in the order wsgiref applies them. Findings go into
    /// `findings`; an error means the call is refused (and its finding is among them).
    fn start(
        &self,
        py: Python<'_>,
        call: usize,
        status: &Bound<'_, PyAny>,
        headers: HeadersArg<'_>,
        exc_info: Option<&Bound<'_, PyAny>>,
        findings: &mut Vec<Check>,
    ) -> PyResult<()> {
        let (already_started, headers_sent) = {
            let response = lock(py, &self.response);
            (response.head.is_some(), response.headers_sent)
        };
        match exc_info {
            Some(exc_info) => {
                let is_triple = exc_info.cast::<PyTuple>().is_ok_and(|t| t.len() == 3);
                if !is_triple {
                    findings.push(
                        Check::new(
                            &checks::EXC_INFO_NOT_TUPLE,
                            format!(
                                "exc_info is {}, not the (type, value, traceback) tuple of \
                                 sys.exc_info()",
                                short_repr(exc_info)
                            ),
                        )
                        .at(Spot::ExcInfo { call }),
                    );
                }
                // Too late to change anything: re-raise the app's own error, so it stops.
                if headers_sent {
                    return Err(reraise(py, exc_info));
                }
                // Nothing sent yet: the new status and headers replace the old ones.
            }
            None if already_started => {
                return Err(refuse(
                    runtime_error,
                    Check::new(
                        &checks::START_RESPONSE_TWICE,
                        "start_response was called a second time without exc_info; the first \
                         status and headers stay",
                    )
                    .at(Spot::Status { call }),
                    findings,
                ));
            }
            None => {}
        }
        let (status, code) = check_status(status, call, findings)?;
        let headers = check_headers(headers, code, call, findings)?;
        lock(py, &self.response).head = Some(Head {
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
             start_response() Callable; rule exc-info-not-tuple)",
            repr(exc_info)
        )),
    }
    .clone_ref(py)
}

/// Check the status argument of call `call`: a str like "200 OK". Returns the status line text
/// to send (a missing reason phrase gets the space the status line needs) and its code.
fn check_status(
    status: &Bound<'_, PyAny>,
    call: usize,
    findings: &mut Vec<Check>,
) -> PyResult<(String, u16)> {
    let spot = Spot::Status { call };
    let Ok(text) = status.cast::<PyString>() else {
        return Err(refuse(
            type_error,
            Check::new(
                &checks::STATUS_NOT_STR,
                format!(
                    "the status is {} {}, not a str like '200 OK'",
                    type_name(status),
                    short_repr(status)
                ),
            )
            .at(spot),
            findings,
        ));
    };
    let text = text.to_string();
    match checks::check_status(&text) {
        StatusVerdict::Impossible(check) => Err(refuse(value_error, check.at(spot), findings)),
        StatusVerdict::Send {
            code,
            findings: found,
        } => {
            findings.extend(found.into_iter().map(|c| c.at(spot.clone())));
            let line = if text.len() == 3 {
                format!("{text} ")
            } else {
                text
            };
            Ok((line, code))
        }
    }
}

/// The `response_headers` argument, read once.
///
/// A list is used as it is. Any other iterable (a tuple, a generator) is copied into a list
/// here, once, because a generator gives its items only once: the record and the response
/// both read this one copy. A dict, str or bytes is iterable but never a list of headers, and
/// is refused, as by wsgiref.
enum HeadersArg<'py> {
    /// The headers, in a list. `copied_from` names the type of a non-list iterable they came
    /// from, for its finding.
    Items {
        list: Bound<'py, PyList>,
        copied_from: Option<String>,
    },
    /// A dict, str or bytes: iterable, but not headers.
    NotHeaders { original: Bound<'py, PyAny> },
    /// Something that cannot be iterated at all.
    NotIterable { original: Bound<'py, PyAny> },
    /// Iterating the argument raised this exception.
    Failed {
        original: Bound<'py, PyAny>,
        error: PyErr,
    },
}

impl<'py> HeadersArg<'py> {
    /// Read `headers`, copying a non-list iterable into a list.
    fn read(headers: &Bound<'py, PyAny>) -> Self {
        if let Ok(list) = headers.cast::<PyList>() {
            return HeadersArg::Items {
                list: list.clone(),
                copied_from: None,
            };
        }
        let original = headers.clone();
        if headers.is_instance_of::<PyDict>()
            || headers.is_instance_of::<PyString>()
            || headers.is_instance_of::<PyBytes>()
        {
            return HeadersArg::NotHeaders { original };
        }
        let Ok(items) = headers.try_iter() else {
            return HeadersArg::NotIterable { original };
        };
        match items
            .collect::<PyResult<Vec<_>>>()
            .and_then(|items| PyList::new(headers.py(), items))
        {
            Ok(list) => HeadersArg::Items {
                list,
                copied_from: Some(type_name(headers)),
            },
            Err(error) => HeadersArg::Failed { original, error },
        }
    }

    /// The headers as pairs for the record, whatever shape they had.
    fn pairs_for_record(&self) -> Vec<(String, String)> {
        let (list, original) = match self {
            HeadersArg::Items { list, .. } => (Some(list), list.as_any()),
            HeadersArg::NotHeaders { original }
            | HeadersArg::NotIterable { original }
            | HeadersArg::Failed { original, .. } => (None, original),
        };
        list.and_then(|list| header_pairs(list))
            .unwrap_or_else(|| vec![("(not a list of pairs)".into(), repr(original))])
    }
}

/// Check the headers argument of call `call`, for a response with status `code`: a list of
/// (name, value) tuples of str. Returns the headers to send (hop-by-hop ones dropped, a
/// Content-Length at most once).
///
/// The steps, in order: the argument is a list; then, header by header, it is a pair, its name
/// and value are str, and it passes the HTTP rules for one header (and, for a Content-Length,
/// the rules across the whole response). The first impossible header refuses the call; the
/// findings before it stay recorded.
fn check_headers(
    headers: HeadersArg<'_>,
    code: u16,
    call: usize,
    findings: &mut Vec<Check>,
) -> PyResult<Vec<(String, String)>> {
    let list = headers_list(headers, findings)?;
    let mut checked = Vec::new();
    // The length the first Content-Length kept announces, to compare a second one with.
    let mut content_length = None;
    for (index, item) in list.iter().enumerate() {
        let place = HeaderPlace { call, index };
        let (name, value) = header_pair(&item, place, findings)?;
        let (name, value) = header_text(&item, &name, &value, place, findings)?;
        let verdict = header_verdict(&name, &value, code, &mut content_length);
        if let Some(header) = follow_verdict(verdict, name, value, place, findings)? {
            checked.push(header);
        }
    }
    Ok(checked)
}

/// Which header a finding is about: number `index` (from 0) of start_response call `call`.
#[derive(Debug, Clone, Copy)]
struct HeaderPlace {
    call: usize,
    index: usize,
}

impl HeaderPlace {
    /// The spot of this header, named `name` ("" while it has no name that is a str).
    fn spot(self, name: &str) -> Spot {
        Spot::Header {
            call: self.call,
            index: self.index,
            name: name.to_string(),
        }
    }
}

/// PEP 3333 §The start_response() Callable: response_headers "must be a Python list". Another
/// iterable (a tuple, a generator) is served from its copy and flagged; a dict,
/// str or bytes, or something that cannot be iterated, is refused (rule headers-not-list).
fn headers_list<'py>(
    headers: HeadersArg<'py>,
    findings: &mut Vec<Check>,
) -> PyResult<Bound<'py, PyList>> {
    let not_list = |what: String| Check::new(&checks::HEADERS_NOT_LIST, what);
    match headers {
        HeadersArg::Items {
            list,
            copied_from: None,
        } => Ok(list),
        HeadersArg::Items {
            list,
            copied_from: Some(type_name),
        } => {
            findings.push(not_list(format!(
                "response_headers is {}, not a list; it was served, but wsgiref and other \
                 servers refuse it",
                with_article(&type_name)
            )));
            Ok(list)
        }
        HeadersArg::NotHeaders { original } => Err(refuse(
            type_error,
            not_list(format!(
                "response_headers is {} {}, not a list of (name, value) tuples",
                a_type_name(&original),
                short_repr(&original)
            )),
            findings,
        )),
        HeadersArg::NotIterable { original } => Err(refuse(
            type_error,
            not_list(format!(
                "response_headers is {}, not a list of (name, value) tuples",
                short_repr(&original)
            )),
            findings,
        )),
        // The app's own exception, raised where iterating its headers raised it.
        HeadersArg::Failed { error, .. } => Err(error),
    }
}

/// PEP 3333 §The start_response() Callable: each header is a `(header_name, header_value)`
/// tuple. Another sequence of two items (a list, say) is served and flagged; anything else is
/// refused (rule header-not-tuple). Returns the two items, not yet known to be str.
fn header_pair<'py>(
    item: &Bound<'py, PyAny>,
    place: HeaderPlace,
    findings: &mut Vec<Check>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let index = place.index;
    let pair = match item.cast::<PyTuple>() {
        Ok(t) if t.len() == 2 => Some((t.get_item(0)?, t.get_item(1)?)),
        Ok(_) => None,
        // A str is a sequence too, but 'ab' is one header name, not a pair.
        Err(_) => match item.cast::<PySequence>() {
            Ok(seq) if !item.is_instance_of::<PyString>() && seq.len()? == 2 => {
                findings.push(
                    Check::new(
                        &checks::HEADER_NOT_TUPLE,
                        format!(
                            "header {index} is the {} {}, not a tuple; it was served",
                            type_name(item),
                            short_repr(item)
                        ),
                    )
                    .at(place.spot("")),
                );
                Some((seq.get_item(0)?, seq.get_item(1)?))
            }
            _ => None,
        },
    };
    pair.ok_or_else(|| {
        refuse(
            type_error,
            Check::new(
                &checks::HEADER_NOT_TUPLE,
                format!(
                    "header {index} is {}, not a (name, value) tuple",
                    short_repr(item)
                ),
            )
            .at(place.spot("")),
            findings,
        )
    })
}

/// PEP 3333 §Unicode Issues: a header's name and value are native strings (`str`), which the
/// server encodes as latin-1; a number or bytes is refused (rule header-not-str), the name
/// checked before the value. `item` is the whole header, for the message.
fn header_text(
    item: &Bound<'_, PyAny>,
    name: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    place: HeaderPlace,
    findings: &mut Vec<Check>,
) -> PyResult<(String, String)> {
    // `label`: a name that is a str labels the spot even when its value is the mistake.
    let (what, obj, label) = match (name.cast::<PyString>(), value.cast::<PyString>()) {
        (Ok(name), Ok(value)) => return Ok((name.to_string(), value.to_string())),
        (Ok(name), Err(_)) => ("value", value, name.to_string()),
        (Err(_), _) => ("name", name, String::new()),
    };
    Err(refuse(
        type_error,
        Check::new(
            &checks::HEADER_NOT_STR,
            format!(
                "header {} {}: its {what} {} is {}, not a str",
                place.index,
                short_repr(item),
                short_repr(obj),
                a_type_name(obj)
            ),
        )
        .at(place.spot(&label)),
        findings,
    ))
}

/// What the HTTP rules allow for one header of a response with status `code`:
/// [`checks::check_header`] (RFC 9110 §5.1 a token name, §5.5 no control characters; PEP 3333
/// §Unicode Issues latin-1, §Other HTTP Features no hop-by-hop header, §The start_response()
/// Callable no `Status`), then for a Content-Length the per-response
/// rules of [`checks::check_content_length`] (RFC 9110 §8.6 none on a 1xx or 204, digits only;
/// RFC 9112 §6.3 one length per response). `content_length` is the length a Content-Length
/// kept earlier in this response announces; a Content-Length that is sent sets it.
fn header_verdict(
    name: &str,
    value: &str,
    code: u16,
    content_length: &mut Option<u64>,
) -> HeaderVerdict {
    match checks::check_header(name, value) {
        HeaderVerdict::Send if name.eq_ignore_ascii_case("Content-Length") => {
            let verdict = checks::check_content_length(code, value, *content_length);
            if verdict == HeaderVerdict::Send {
                *content_length = checks::parse_content_length(value);
            }
            verdict
        }
        verdict => verdict,
    }
}

/// Do what a header's verdict says: the header to send (flagged or not), None for one the
/// server drops (a hop-by-hop header, a Content-Length where none may go, or the same one
/// again), or the refusal of an impossible one. The finding goes on record in every case but
/// `Send`.
fn follow_verdict(
    verdict: HeaderVerdict,
    name: String,
    value: String,
    place: HeaderPlace,
    findings: &mut Vec<Check>,
) -> PyResult<Option<(String, String)>> {
    match verdict {
        HeaderVerdict::Send => Ok(Some((name, value))),
        HeaderVerdict::Flag(check) => {
            findings.push(check.at(place.spot(&name)));
            Ok(Some((name, value)))
        }
        HeaderVerdict::Drop(check) => {
            findings.push(check.at(place.spot(&name)));
            Ok(None)
        }
        HeaderVerdict::Impossible(check) => {
            Err(refuse(value_error, check.at(place.spot(&name)), findings))
        }
    }
}

/// The items of `list` as (name, value) pairs of text for the record, or None when one of them
/// is not a pair; a value that is not a str is shown by its repr.
fn header_pairs(list: &Bound<'_, PyList>) -> Option<Vec<(String, String)>> {
    list.iter()
        .map(|item| {
            if item.is_instance_of::<PyString>() {
                return None;
            }
            let t = item
                .cast::<PySequence>()
                .ok()
                .filter(|t| t.len().ok() == Some(2))?;
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
        .collect()
}

/// `repr(obj)`, cut to [`checks::MAX_QUOTED_REPR`] characters for a message.
pub fn short_repr(obj: &Bound<'_, PyAny>) -> String {
    checks::shorten(repr(obj))
}

/// `repr(obj)`, or a placeholder when repr itself fails.
pub fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<repr failed>".into())
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// `obj`'s type name with its article, as a sentence says it: "a list", "an int".
pub fn a_type_name(obj: &Bound<'_, PyAny>) -> String {
    with_article(&type_name(obj))
}

/// `name` after "a", or "an" before a vowel: "a dict", "an int". (By the letter, not the
/// sound, which is right for Python's built-in type names.)
pub fn with_article(name: &str) -> String {
    let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    format!("{} {name}", if vowel { "an" } else { "a" })
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
        let bytes = data.cast::<PyBytes>().ok();
        let described = bytes
            .is_none()
            .then(|| format!("{} {}", type_name(data), short_repr(data)));
        let mut response = lock(data.py(), &self.response);
        let spot = Spot::Write {
            index: response.write_calls as usize,
        };
        let mut findings = Vec::new();
        let refused = match (bytes, described) {
            (Some(bytes), _) if response.head.is_some() => {
                response.note_write(bytes.as_bytes().len());
                return Ok(response.send_body(bytes.as_bytes(), spot)?);
            }
            (None, Some(what)) => refuse(
                type_error,
                Check::new(
                    &checks::WRITE_NOT_BYTES,
                    format!("write() was given the {what}, not bytes"),
                )
                .at(spot),
                &mut findings,
            ),
            _ => refuse(
                runtime_error,
                Check::new(
                    &checks::WRITE_BEFORE_START_RESPONSE,
                    "write() was called before start_response set a status",
                )
                .at(spot),
                &mut findings,
            ),
        };
        for finding in findings {
            response.flag(finding);
        }
        Err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_take_a_or_an() {
        assert_eq!(with_article("int"), "an int");
        assert_eq!(with_article("object"), "an object");
        assert_eq!(with_article("Ellipsis"), "an Ellipsis");
        assert_eq!(with_article("list"), "a list");
        assert_eq!(with_article("NoneType"), "a NoneType");
    }
}
