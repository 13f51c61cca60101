//! The app's result: iterating it, and everything that can go wrong on the way.
//!
//! PEP 3333 lets the app return any iterable of bytes: a list, a generator, a file wrapper.
//! `finish_response` (in [`crate::server`]) hands it to [`send_result`], which takes one chunk
//! at a time and gives it to the [`Response`] (headers just before the first non-empty one).
//! The classic mistakes are caught here, each as a finding with its rule: returning `None`, a
//! `str`, `bytes` (iterating gives characters or integers), a non-iterable, a `str` chunk, body
//! bytes before `start_response`, a result closed before it was handed over. An exception
//! from the app becomes a 500 when nothing was sent yet ([`app_failed`]), and a cut connection
//! after the headers: the only way left to tell the client the body is incomplete.

use std::io;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyIterator, PyList, PyString, PyTuple};

use crate::checks::{self, Check, Spot};
use crate::exchange::Exchange;
use crate::python;
use crate::response::Response;
use crate::start_response;

/// Deal with an app that failed: a 500 if nothing was sent yet, else a cut connection.
pub fn app_failed(
    py: Python<'_>,
    response: &Mutex<Response>,
    exchange: &mut Exchange,
    failure: AppFailure,
    debug: bool,
) {
    let (rule, summary, traceback) = match &failure {
        AppFailure::Raised(err) => (
            "app-raised",
            format!("the app raised {}", python::describe(py, err)),
            Some(python::traceback_text(py, err)),
        ),
        AppFailure::Broke(check) => {
            exchange.checks.push(check.clone());
            (check.rule, check.message.clone(), None)
        }
        AppFailure::ClientGone(e) => {
            exchange.fail(
                "client-gone",
                format!("the client went away while the response was sent ({e})"),
            );
            return;
        }
    };
    exchange.traceback = traceback.clone();
    let mut response = start_response::lock(py, response);
    if response.stopped.is_some() {
        // --strict already answered or cut the connection; the record says why.
        exchange.fail(rule, summary);
        return;
    }
    if response.headers_sent {
        exchange.fail(
            "app-failed-after-headers",
            format!(
                "{summary}, after the headers were sent: the connection was closed, the only \
                 way left to tell the client that the response is incomplete"
            ),
        );
        return;
    }
    exchange.fail(rule, summary.clone());
    let mut body = format!("The application failed: {summary}.");
    match (&traceback, debug) {
        (Some(tb), true) => body.push_str(&format!("\n\n{tb}")),
        (Some(_), false) => body.push_str(
            "\n\nThe traceback is in the server's output; start wsgiscope with --debug to \
             see it here.",
        ),
        (None, _) => {}
    }
    // The app's own head never went out; the 500 replaces it.
    let _ = response.send_server_response(500, body.trim_end());
}

/// Record that the result's `close()` raised: the error names it after whatever failed before
/// (an exception while iterating, a client gone), and its traceback follows the one already
/// recorded, as Python prints chained exceptions.
pub fn close_failed(py: Python<'_>, exchange: &mut Exchange, err: &PyErr) {
    let what = format!("the result's close() raised {}", python::describe(py, err));
    exchange.fail("close-raised", what);
    let traceback = python::traceback_text(py, err);
    exchange.traceback = Some(match exchange.traceback.take() {
        Some(earlier) => format!("{earlier}\nThen the result's close() raised:\n\n{traceback}"),
        None => traceback,
    });
}

/// What went wrong with the app's result.
pub enum AppFailure {
    /// An exception from the app (in the call, the iteration, or start_response's checks).
    Raised(PyErr),
    /// A result that breaks PEP 3333 without an exception (a str result, a str chunk...):
    /// the finding that says which rule.
    Broke(Check),
    /// The client closed the connection.
    ClientGone(io::Error),
}

/// Iterate the result and send it, checking it on the way (see [`crate::checks`]).
///
/// The story, a step each: refuse a result that is not an iterable of bytes; note the length
/// of a one-item list (the whole body); look for a result closed before it was handed over;
/// then send the chunks one by one, and finish the response.
pub fn send_result(
    result: &Bound<'_, PyAny>,
    response: &Mutex<Response>,
) -> Result<(), AppFailure> {
    check_result_type(result)?;
    let list_like = result.is_instance_of::<PyList>() || result.is_instance_of::<PyTuple>();
    note_whole_body_length(result, response);
    // A list cannot be closed; only look further at other results (files, generators).
    if !list_like {
        check_not_closed(result, response)?;
    }
    let mut sent = Sent::default();
    for (index, chunk) in iterate(result)?.enumerate() {
        let chunk = chunk.map_err(AppFailure::Raised)?;
        let spot = Spot::Chunk {
            index,
            offset: sent.bytes,
        };
        let bytes = chunk_bytes(&chunk, index, spot.clone())?;
        if send_chunk(
            result.py(),
            response,
            bytes.as_bytes(),
            spot,
            list_like,
            &mut sent,
        )? == Go::Stop
        {
            return Ok(());
        }
    }
    finish(result.py(), response, &sent)
}

/// The finding for a result that breaks PEP 3333 without an exception.
fn broke(rule: &'static checks::Rule, message: impl Into<String>) -> AppFailure {
    AppFailure::Broke(Check::new(rule, message.into()))
}

/// Refuse the results that are not iterables of bytes, though they look close: `None` (a
/// forgotten `return`), and `str` or `bytes`, which Python iterates as characters and
/// integers.
fn check_result_type(result: &Bound<'_, PyAny>) -> Result<(), AppFailure> {
    if result.is_none() {
        return Err(broke(
            &checks::RESULT_NONE,
            "the app returned None instead of an iterable of bytes (did it forget `return`?)",
        ));
    }
    if result.is_instance_of::<PyString>() {
        return Err(broke(
            &checks::RESULT_STR,
            format!(
                "the app returned a str object ({}) instead of an iterable of bytes; iterating \
                 str gives single characters, so return [text.encode('utf-8')]",
                start_response::short_repr(result)
            ),
        ));
    }
    if result.is_instance_of::<PyBytes>() {
        return Err(broke(
            &checks::RESULT_BYTES,
            format!(
                "the app returned a bytes object ({}) instead of an iterable of bytes; iterating \
                 bytes gives single integers, so return [body] instead of body",
                start_response::short_repr(result)
            ),
        ));
    }
    Ok(())
}

/// A one-item list is the whole body: its length is the Content-Length (PEP 3333, "Handling
/// the Content-Length Header").
fn note_whole_body_length(result: &Bound<'_, PyAny>, response: &Mutex<Response>) {
    if let Ok(list) = result.cast::<PyList>()
        && list.len() == 1
        && let Ok(item) = list.get_item(0)
        && let Ok(bytes) = item.cast::<PyBytes>()
    {
        start_response::lock(result.py(), response).set_known_length(bytes.as_bytes().len() as u64);
    }
}

/// A result closed before the server got it (a file the app closed, a finished generator):
/// refused when iterating it cannot work, a finding on the response when it may.
fn check_not_closed(
    result: &Bound<'_, PyAny>,
    response: &Mutex<Response>,
) -> Result<(), AppFailure> {
    let Some(closed) = closed_already(result) else {
        return Ok(());
    };
    if closed.impossible {
        return Err(broke(&checks::ITERATED_AFTER_CLOSE, closed.message));
    }
    start_response::lock(result.py(), response)
        .flag(Check::new(&checks::ITERATED_AFTER_CLOSE, closed.message));
    Ok(())
}

/// `iter(result)`: a result that cannot be iterated is a finding; an `__iter__` that raised
/// is the app's error, with its traceback.
fn iterate<'py>(result: &Bound<'py, PyAny>) -> Result<Bound<'py, PyIterator>, AppFailure> {
    result.try_iter().map_err(|err| {
        if !is_not_iterable(result, &err) {
            return AppFailure::Raised(err);
        }
        broke(
            &checks::RESULT_NOT_ITERABLE,
            format!(
                "the app returned {}, which is not iterable; return a list of bytes such as \
                 [b'hello']",
                start_response::short_repr(result)
            ),
        )
    })
}

/// Chunk `index` as bytes, or the finding for a chunk of another type (PEP 3333: the result
/// yields bytestrings; text must be encoded first).
fn chunk_bytes<'a, 'py>(
    chunk: &'a Bound<'py, PyAny>,
    index: usize,
    spot: Spot,
) -> Result<&'a Bound<'py, PyBytes>, AppFailure> {
    chunk.cast::<PyBytes>().map_err(|_| {
        AppFailure::Broke(
            Check::new(
                &checks::CHUNK_NOT_BYTES,
                format!(
                    "the app yielded {} {} (chunk {index}) where a bytes chunk was expected; \
                     encode text first, e.g. text.encode('utf-8')",
                    start_response::type_name(chunk),
                    start_response::short_repr(chunk)
                ),
            )
            .at(spot),
        )
    })
}

/// What [`send_result`] has sent of the body so far.
#[derive(Default)]
struct Sent {
    /// Whether any chunk had a byte (an all-empty body still has a known length: 0).
    any: bool,
    /// The body's bytes so far: where the next chunk starts.
    bytes: u64,
}

/// Whether to go on with the app's result after a chunk.
#[derive(PartialEq, Eq)]
enum Go {
    On,
    /// --strict replaced or cut the response: no point in running the app further.
    Stop,
}

/// Send one chunk, after checking that there is a status to send it under.
fn send_chunk(
    py: Python<'_>,
    response: &Mutex<Response>,
    bytes: &[u8],
    spot: Spot,
    list_like: bool,
    sent: &mut Sent,
) -> Result<Go, AppFailure> {
    let mut response = start_response::lock(py, response);
    if response.head.is_none() {
        return Err(AppFailure::Broke(if list_like {
            Check::new(
                &checks::START_RESPONSE_NOT_CALLED,
                "the app returned its body before calling start_response, so there is no \
                 status to send",
            )
        } else {
            Check::new(
                &checks::BODY_BEFORE_START_RESPONSE,
                "the result yielded body bytes before calling start_response, so there is no \
                 status to send",
            )
            .at(spot)
        }));
    }
    sent.any |= !bytes.is_empty();
    sent.bytes += bytes.len() as u64;
    response
        .send_body(bytes, spot)
        .map_err(AppFailure::ClientGone)?;
    Ok(if response.stopped.is_some() {
        Go::Stop
    } else {
        Go::On
    })
}

/// The result is exhausted: there must have been a status, and an empty body's length is
/// known (0); then the response ends.
fn finish(py: Python<'_>, response: &Mutex<Response>, sent: &Sent) -> Result<(), AppFailure> {
    let mut response = start_response::lock(py, response);
    if response.head.is_none() {
        return Err(broke(
            &checks::START_RESPONSE_NOT_CALLED,
            "the app returned without calling start_response, so there is no status to send",
        ));
    }
    if !sent.any && !response.headers_sent {
        response.set_known_length(0);
    }
    response.finish().map_err(AppFailure::ClientGone)
}

/// Whether `iter(result)` failed with `err` because the result cannot be iterated at all: a
/// TypeError, and no `__iter__` on its type (or `__iter__ = None`, Python's way of saying "not
/// iterable"). Any other failure came from running the app's own `__iter__`.
fn is_not_iterable(result: &Bound<'_, PyAny>, err: &PyErr) -> bool {
    let py = result.py();
    err.is_instance_of::<pyo3::exceptions::PyTypeError>(py)
        && result
            .get_type()
            .getattr_opt("__iter__")
            .ok()
            .flatten()
            .is_none_or(|iter| iter.is_none())
}

/// A result the app closed before handing it over (see [`checks::ITERATED_AFTER_CLOSE`]).
struct ClosedResult {
    message: String,
    /// Iterating it would fail (a closed file), rather than just give nothing (a finished
    /// generator).
    impossible: bool,
}

/// Whether the result was closed before the server began to iterate it: a file object (or a
/// `wsgi.file_wrapper` around one) whose `closed` is true, or a generator that already ran to
/// its end or was closed.
fn closed_already(result: &Bound<'_, PyAny>) -> Option<ClosedResult> {
    let is_closed = |obj: &Bound<'_, PyAny>| {
        obj.getattr_opt("closed")
            .ok()
            .flatten()
            .and_then(|c| c.is_truthy().ok())
            .unwrap_or(false)
    };
    let filelike = result.getattr_opt("filelike").ok().flatten();
    if is_closed(result) || filelike.as_ref().is_some_and(is_closed) {
        return Some(ClosedResult {
            message: format!(
                "the app returned {}, whose file was already closed, so the server cannot \
                 read the body from it",
                start_response::short_repr(result)
            ),
            impossible: true,
        });
    }
    let generator = result
        .py()
        .import("types")
        .and_then(|t| t.getattr("GeneratorType"))
        .ok()?;
    if result.is_instance(&generator).ok()? && result.getattr("gi_frame").ok()?.is_none() {
        return Some(ClosedResult {
            message: format!(
                "the app returned {}, which had already finished or been closed, so the body \
                 is empty",
                start_response::short_repr(result)
            ),
            impossible: false,
        });
    }
    None
}
