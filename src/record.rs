//! The record as data: the JSON form of an [`Exchange`], one typed struct that serialises
//! itself.
//!
//! `--log json` prints one [`Record`] per line, and the tests read each line back into the same
//! struct. Both sides use this one definition, so a field renamed here is renamed for both, and
//! a field that goes missing or appears unannounced makes reading fail
//! (`deny_unknown_fields`): the JSON a program reads cannot drift from what the tests check.
//! The README's "The record" lists the fields; they are added to, never renamed.
//!
//! The record keeps bytes as text with escapes ([`escape_bytes`]), the environ as `repr()`
//! strings and times in microseconds, so a reader needs neither Python nor this crate.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checks::{self, About, Check, Spot};
use crate::exchange::{Exchange, Framing, escape_bytes};
use crate::request::Spans;

/// One exchange, as `--log json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Exchanges count from 1, in the order their first byte arrived.
    pub id: u64,
    /// `"ip:port"`.
    pub client: String,
    pub connection: ConnectionRecord,
    /// When the first byte arrived, RFC 3339.
    pub started: String,
    pub request: RequestRecord,
    /// Key → `repr()` of the value the app received.
    pub environ: BTreeMap<String, String>,
    pub start_response: Vec<CallRecord>,
    /// The sizes of the first `write()` calls.
    pub writes: Vec<usize>,
    /// How many `write()` calls there were.
    pub write_calls: u64,
    pub response: ResponseRecord,
    pub timings_us: TimingsRecord,
    /// What went wrong, in order; empty when nothing did.
    pub error: Vec<ErrorRecord>,
    /// The Python traceback of an app error.
    pub traceback: Option<String>,
    pub output: Vec<OutputRecord>,
    pub output_cut: OutputCutRecord,
    pub checks: Vec<CheckRecord>,
}

/// Which connection carried the exchange (see [`crate::exchange::OnConnection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRecord {
    pub id: u64,
    pub request: u32,
    pub kept_open: bool,
}

/// The request as it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRecord {
    /// The bytes (the first 64 KiB) as escaped text.
    pub raw: String,
    /// How many bytes there were in all.
    pub bytes: u64,
    /// Null until the head was parsed.
    pub method: Option<String>,
    pub target: Option<String>,
    pub version: Option<String>,
    /// Where the parser found each part, in bytes of the request; null until the head was
    /// parsed.
    pub spans: Option<SpansRecord>,
}

/// A span: the offsets of its first byte and of the byte after its last.
pub type SpanRecord = (usize, usize);

/// Where each part of the request is (see [`crate::request::Spans`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpansRecord {
    /// The request line, without its line end.
    pub line: SpanRecord,
    pub method: SpanRecord,
    pub target: SpanRecord,
    pub version: SpanRecord,
    pub fields: Vec<FieldSpanRecord>,
    /// The body as sent; null when the request was refused before it was complete.
    pub body: Option<SpanRecord>,
}

/// Where one header field line is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpanRecord {
    pub line: SpanRecord,
    pub name: SpanRecord,
    pub value: SpanRecord,
    /// The server dropped the field (an `_` in its name).
    pub dropped: bool,
}

impl From<&Spans> for SpansRecord {
    fn from(spans: &Spans) -> Self {
        let span = |r: &Range<usize>| (r.start, r.end);
        SpansRecord {
            line: span(&spans.line),
            method: span(&spans.method),
            target: span(&spans.target),
            version: span(&spans.version),
            fields: spans
                .fields
                .iter()
                .map(|f| FieldSpanRecord {
                    line: span(&f.line),
                    name: span(&f.name),
                    value: span(&f.value),
                    dropped: f.dropped,
                })
                .collect(),
            body: spans.body.as_ref().map(span),
        }
    }
}

/// One `start_response` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRecord {
    pub status: String,
    /// `[name, value]` pairs.
    pub headers: Vec<(String, String)>,
    pub exc_info: Option<String>,
    /// What the call raised, when the app broke a rule.
    pub error: Option<String>,
}

/// The response as it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseRecord {
    /// The bytes (the first 64 KiB) as escaped text.
    pub raw: String,
    /// Null when no status line went out.
    pub status: Option<u16>,
    /// All bytes sent, head included.
    pub bytes: u64,
    /// Body bytes written, without chunk framing.
    pub body_bytes: u64,
    /// `content-length`, `chunked`, `close` or `no body`; null when no head went out.
    pub framing: Option<String>,
}

/// The time of each phase, and of receiving the request, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingsRecord {
    pub parse_request: u64,
    pub get_environ: u64,
    pub application: u64,
    pub finish_response: u64,
    /// The client's time: from the request's first byte to its last (see
    /// [`crate::exchange::Timings`]).
    pub receiving: u64,
}

/// One thing that went wrong (see [`crate::exchange::Failure`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRecord {
    /// The rule's stable id: `host-invalid`, `app-raised`, `client-gone`...
    pub rule: String,
    pub message: String,
}

/// A line the app wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputRecord {
    /// `stdout`, `stderr` or `wsgi.errors`.
    pub stream: String,
    pub text: String,
}

/// The output not kept, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputCutRecord {
    pub lines: u64,
    pub bytes: u64,
}

/// A finding (see [`crate::checks`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRecord {
    /// The rule's stable id.
    pub rule: String,
    pub message: String,
    /// Where the rule is written ("PEP 3333 §…", "RFC 9112 §…").
    pub reference: String,
    /// The same, under the name the first records used.
    pub pep3333: String,
    pub fix: String,
    /// Why the rule exists, from the catalogue.
    pub explanation: Option<String>,
    /// `app` (the app broke it) or `note` (worth knowing, not a mistake).
    pub about: String,
    /// The part of the exchange it points at.
    pub at: Option<Spot>,
}

impl From<&Check> for CheckRecord {
    fn from(check: &Check) -> Self {
        let rule = checks::rule(check.rule);
        CheckRecord {
            rule: check.rule.to_string(),
            message: check.message.clone(),
            reference: check.reference.to_string(),
            pep3333: check.reference.to_string(),
            fix: check.fix.to_string(),
            explanation: rule.map(|r| r.explanation.to_string()),
            about: match rule.map(|r| r.about) {
                Some(About::Note) => "note",
                _ => "app",
            }
            .to_string(),
            at: check.at.clone(),
        }
    }
}

impl From<&Exchange> for Record {
    fn from(ex: &Exchange) -> Self {
        let us = |d: Duration| d.as_micros() as u64;
        Record {
            id: ex.id,
            client: ex.client.to_string(),
            connection: ConnectionRecord {
                id: ex.connection.id,
                request: ex.connection.request,
                kept_open: ex.connection.kept_open,
            },
            started: ex.started.to_rfc3339(),
            request: RequestRecord {
                raw: escape_bytes(&ex.request_raw.stored),
                bytes: ex.request_raw.total,
                method: ex.method.clone(),
                target: ex.target.clone(),
                version: ex.version.clone(),
                spans: ex.spans.as_ref().map(SpansRecord::from),
            },
            environ: ex.environ.iter().cloned().collect(),
            start_response: ex
                .start_response
                .iter()
                .map(|c| CallRecord {
                    status: c.status.clone(),
                    headers: c.headers.clone(),
                    exc_info: c.exc_info.clone(),
                    error: c.error.clone(),
                })
                .collect(),
            writes: ex.writes.clone(),
            write_calls: ex.write_calls,
            response: ResponseRecord {
                raw: escape_bytes(&ex.response_raw.stored),
                status: ex.status,
                bytes: ex.response_raw.total,
                body_bytes: ex.body_bytes,
                framing: ex.framing.map(|f| Framing::name(f).to_string()),
            },
            timings_us: TimingsRecord {
                parse_request: us(ex.timings.parse_request),
                get_environ: us(ex.timings.get_environ),
                application: us(ex.timings.application),
                finish_response: us(ex.timings.finish_response),
                receiving: us(ex.timings.receiving),
            },
            error: ex
                .errors
                .iter()
                .map(|e| ErrorRecord {
                    rule: e.rule.to_string(),
                    message: e.message.clone(),
                })
                .collect(),
            traceback: ex.traceback.clone(),
            output: ex
                .output
                .iter()
                .map(|l| OutputRecord {
                    stream: l.stream.to_string(),
                    text: l.text.clone(),
                })
                .collect(),
            output_cut: OutputCutRecord {
                lines: ex.output_cut.lines,
                bytes: ex.output_cut.bytes,
            },
            checks: ex.checks.iter().map(CheckRecord::from).collect(),
        }
    }
}
