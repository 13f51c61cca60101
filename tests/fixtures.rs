//! The inspector's snapshot tests draw real records, not exchanges made up by hand: the lines of
//! `src/inspector/fixtures/exchanges.jsonl` are what this server recorded (`--log json`) for the
//! requests below, sent to `tests/apps/inspector_fixture.py`.
//!
//! This test sends the same requests again and checks that the server still records the same
//! exchanges, apart from what changes from run to run (times, ports, the Date header). So a
//! fixture cannot go stale: when the server changes what it records, this test fails, and the
//! file is written anew with
//!
//! ```sh
//! WSGISCOPE_WRITE_FIXTURES=1 cargo test --test fixtures
//! ```
//!
//! (then `cargo insta review` shows what the change does to the screens).

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// The fixture file, relative to the crate.
const FIXTURES: &str = "src/inspector/fixtures/exchanges.jsonl";

/// Where the fixture app is, relative to the crate.
const APP: &str = "tests/apps/inspector_fixture.py";

/// The requests, one connection each, to a server that closes every connection.
const CLOSING: [&[u8]; 5] = [
    b"POST /upload?name=cat.png HTTP/1.1\r\nHost: 127.0.0.1:8888\r\nUser-Agent: Mozilla/5.0 \
(X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 \
wsgiscope-test/1.0\r\nContent-Type: application/octet-stream\r\nContent-Length: 16\r\n\r\n\
\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"GET /boom HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"GET /missing HTTP/1.0\n\n",
    b"GET /gone HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
];

/// Two requests on one connection to a `--keep-alive` server: the first is kept open, the
/// second closes it.
const KEPT: &[u8] = b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n\
GET /stream HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// Record the fixture exchanges: the five closing ones, then the first of the kept-alive
/// pair, numbered 1 to 6 as if one server had served them (a server numbers from 1), with the
/// crate's path left out of tracebacks (the screens show `tests/apps/…`, wherever the clone
/// is).
fn record_fixtures() -> Vec<Value> {
    let mut records = Vec::new();
    let server = start_server(&[&path(APP)]);
    for request in CLOSING {
        server.send(request);
        records.push(server.next_record());
    }
    let server = start_server(&["--keep-alive", &path(APP)]);
    server.send(KEPT);
    records.push(server.next_record());
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    for (i, record) in records.iter_mut().enumerate() {
        let n = i as u64 + 1;
        record["id"] = n.into();
        record["connection"]["id"] = n.into();
        if let Some(traceback) = record["traceback"].as_str() {
            record["traceback"] = traceback.replace(&root, "").into();
        }
    }
    records
}

/// `record` without what differs from run to run.
fn steady(record: &Value) -> Value {
    let mut r = record.clone();
    r["started"] = "…".into();
    r["client"] = "…".into();
    for key in ["REMOTE_PORT", "SERVER_PORT"] {
        r["environ"][key] = "…".into();
    }
    if let Some(times) = r["timings_us"].as_object_mut() {
        times.values_mut().for_each(|us| *us = 0.into());
    }
    if let Some(raw) = r["response"]["raw"].as_str() {
        let steady: Vec<String> = raw
            .split("\\r\\n")
            .map(|line| match line.strip_prefix("Date: ") {
                Some(_) => "Date: …".to_string(),
                None => line.to_string(),
            })
            .collect();
        r["response"]["raw"] = steady.join("\\r\\n").into();
    }
    r
}

/// The committed fixtures are what the server records today (or, with
/// `WSGISCOPE_WRITE_FIXTURES=1`, are written anew from what it records).
#[test]
fn the_inspector_fixtures_are_what_the_server_records() {
    let fresh = record_fixtures();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    if std::env::var_os("WSGISCOPE_WRITE_FIXTURES").is_some() {
        let lines: Vec<String> = fresh.iter().map(Value::to_string).collect();
        std::fs::write(&file, lines.join("\n") + "\n").expect("the fixture file is writable");
    }
    let committed = std::fs::read_to_string(&file).expect("the fixture file is there");
    let committed: Vec<Value> = committed
        .lines()
        .map(|line| serde_json::from_str(line).expect("a fixture line is JSON"))
        .collect();
    assert_eq!(committed.len(), fresh.len(), "one fixture per request");
    for (old, new) in committed.iter().zip(&fresh) {
        let (old, new) = (steady(old), steady(new));
        let fields = old.as_object().expect("a record is an object");
        let differ: Vec<String> = fields
            .iter()
            .filter(|(key, value)| new.get(key.as_str()) != Some(*value))
            .map(|(key, value)| format!("{key}: {value} became {}", new[key.as_str()]))
            .collect();
        assert!(
            differ.is_empty() && old == new,
            "the server no longer records fixture {} as {FIXTURES} has it ({}); write the file \
             anew with WSGISCOPE_WRITE_FIXTURES=1 cargo test --test fixtures, and review the \
             screens with cargo insta review",
            old["id"],
            differ.join("; ")
        );
    }
}
