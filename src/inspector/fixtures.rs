//! Real exchanges for the snapshot tests: the records in `fixtures/exchanges.jsonl`, which the
//! server made (`tests/fixtures.rs` makes them again and fails when the server no longer
//! records the same), read back into [`Exchange`]s.
//!
//! Reading a record back is the reverse of [`Record::from`]: bytes un-escaped, names back to
//! the crate's types. Two things the record does not keep are filled in: the environ's order
//! (the record sorts it by key), and the length in `Framing::Length` (the body's length,
//! which it is unless a finding says otherwise).

use chrono::{DateTime, Local, TimeZone};

use crate::checks::{self, Check};
use crate::exchange::{
    CappedBytes, Exchange, Failure, Framing, OnConnection, OutputCut, OutputLine,
    StartResponseCall, Timings,
};
use crate::record::{Record, SpansRecord};
use crate::request::{FieldSpan, Spans};

/// The records, one JSON object per line.
const EXCHANGES: &str = include_str!("fixtures/exchanges.jsonl");

/// Fixture `n` (from 1): 1 an upload that printed a line, 2 an app that raised after writing
/// to wsgi.errors, 3 a 404 longer than the record's copy (HTTP/1.0, bare LF), 4 a 200 with a
/// Status header and no Content-Type (two findings), 5 a request refused for a space in its
/// target, 6 a chunked body on a kept-alive connection.
pub fn exchange(n: usize) -> Exchange {
    let line = EXCHANGES
        .lines()
        .nth(n - 1)
        .unwrap_or_else(|| panic!("there is no fixture {n}"));
    let record: Record = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("fixture {n} is not a record as src/record.rs has it: {e}"));
    from_record(&record)
}

/// A `&'static str` for a name read from a record: the crate's types keep rule ids and stream
/// names as static strings, and a test can afford to leak these few bytes.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// The bytes [`crate::exchange::escape_bytes`] wrote as `text`.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).expect("\\x is followed by two hex digits"));
            }
            other => panic!("an escape escape_bytes never writes: \\{other:?}"),
        }
    }
    out
}

fn bytes(text: &str, total: u64) -> CappedBytes {
    CappedBytes {
        stored: unescape(text),
        total,
    }
}

fn spans(record: &SpansRecord) -> Spans {
    let range = |(start, end): (usize, usize)| start..end;
    Spans {
        line: range(record.line),
        method: range(record.method),
        target: range(record.target),
        version: range(record.version),
        fields: record
            .fields
            .iter()
            .map(|f| FieldSpan {
                line: range(f.line),
                name: range(f.name),
                value: range(f.value),
                dropped: f.dropped,
            })
            .collect(),
        body: record.body.map(range),
    }
}

/// The wall-clock time of `started` as a local time, whatever the machine's zone: the screens
/// show the time the record says.
fn local(started: &str) -> DateTime<Local> {
    let time = DateTime::parse_from_rfc3339(started).expect("started is RFC 3339");
    Local
        .from_local_datetime(&time.naive_local())
        .earliest()
        .expect("a local time that exists")
}

fn from_record(r: &Record) -> Exchange {
    let mut ex = Exchange::new(r.id, r.client.parse().expect("client is ip:port"));
    ex.connection = OnConnection {
        id: r.connection.id,
        request: r.connection.request,
        kept_open: r.connection.kept_open,
    };
    ex.started = local(&r.started);
    ex.request_raw = bytes(&r.request.raw, r.request.bytes);
    ex.method = r.request.method.clone();
    ex.target = r.request.target.clone();
    ex.version = r.request.version.clone();
    ex.spans = r.request.spans.as_ref().map(spans);
    // The record sorts the environ by key; the views group the keys, and show each group in
    // this order.
    ex.environ = r
        .environ
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ex.start_response = r
        .start_response
        .iter()
        .map(|c| StartResponseCall {
            status: c.status.clone(),
            headers: c.headers.clone(),
            exc_info: c.exc_info.clone(),
            error: c.error.clone(),
        })
        .collect();
    ex.set_writes(r.writes.clone(), r.write_calls);
    ex.response_raw = bytes(&r.response.raw, r.response.bytes);
    ex.status = r.response.status;
    ex.body_bytes = r.response.body_bytes;
    ex.framing = r.response.framing.as_deref().map(|name| match name {
        "no body" => Framing::NoBody,
        "content-length" => Framing::Length(r.response.body_bytes),
        "chunked" => Framing::Chunked,
        "close" => Framing::Close,
        other => panic!("a framing the record never names: {other}"),
    });
    let us = std::time::Duration::from_micros;
    ex.timings = Timings {
        parse_request: us(r.timings_us.parse_request),
        get_environ: us(r.timings_us.get_environ),
        application: us(r.timings_us.application),
        finish_response: us(r.timings_us.finish_response),
        receiving: us(r.timings_us.receiving),
    };
    ex.errors = r
        .error
        .iter()
        .map(|e| Failure {
            rule: leak(&e.rule),
            message: e.message.clone(),
        })
        .collect();
    ex.traceback = r.traceback.clone();
    ex.output = r
        .output
        .iter()
        .map(|o| OutputLine {
            stream: leak(&o.stream),
            text: o.text.clone(),
        })
        .collect();
    ex.output_cut = OutputCut {
        lines: r.output_cut.lines,
        bytes: r.output_cut.bytes,
    };
    ex.checks = r
        .checks
        .iter()
        .map(|c| {
            let rule = checks::rule(&c.rule).expect("a finding of a rule in the catalogue");
            let check = Check::new(rule, c.message.clone());
            match &c.at {
                Some(spot) => check.at(spot.clone()),
                None => check,
            }
        })
        .collect();
    ex
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading a record back and recording it again gives the same record: nothing is lost
    /// between the file and the screens.
    #[test]
    fn every_fixture_reads_back_into_the_record_it_came_from() {
        for (i, line) in EXCHANGES.lines().enumerate() {
            let record: Record = serde_json::from_str(line).expect("a record");
            let mut again = Record::from(&exchange(i + 1));
            // The zone the time is shown in may differ; the wall clock does not.
            assert_eq!(
                local(&again.started).naive_local(),
                local(&record.started).naive_local()
            );
            again.started = record.started.clone();
            assert_eq!(again, record, "fixture {}", i + 1);
        }
    }

    #[test]
    fn unescape_reverses_escape_bytes() {
        let raw = b"GET / \\ \r\n\t\x00\xff\x7f ok";
        assert_eq!(unescape(&crate::exchange::escape_bytes(raw)), raw);
    }
}
