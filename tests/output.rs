//! The app's own output: `print()`, `sys.stderr` and `environ['wsgi.errors']` never reach the
//! terminal directly (the inspector may own it); each line is kept in the record of the
//! exchange that wrote it, labelled with its stream.

mod common;

use common::*;

/// The (stream, text) pairs of a record's output.
fn output(record: &serde_json::Value) -> Vec<(String, String)> {
    record["output"]
        .as_array()
        .expect("output is a list")
        .iter()
        .map(|l| {
            (
                l["stream"].as_str().unwrap().to_string(),
                l["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Two requests, each tagged: each record holds exactly its own three lines, and the line
/// printed while the module was imported belongs to neither.
#[test]
fn app_output_is_attributed_to_the_exchange_that_wrote_it() {
    let server = start_server(&[&path("tests/apps/output.py")]);
    for tag in ["first", "second"] {
        let request = format!("GET /?{tag} HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_reply(&server.send(request.as_bytes()), 200, &["written"]);
        let pairs = |stream: &str, text: String| (stream.to_string(), text);
        assert_eq!(
            output(&server.next_record()),
            [
                pairs("stdout", format!("stdout says {tag}")),
                pairs("stderr", format!("stderr says {tag}")),
                pairs("wsgi.errors", format!("wsgi.errors says {tag}")),
            ]
        );
    }
}

/// `sys.stdout`, `sys.stderr` and `wsgi.errors` answer what libraries ask a text stream before
/// writing: not closed, writable, neither readable nor seekable, and no file descriptor
/// (`io.UnsupportedOperation`, which `faulthandler.enable()` raises on and an app catches to
/// fall back to the real standard error).
#[test]
fn output_streams_answer_like_text_files_without_a_descriptor() {
    let server = start_server(&[&path("tests/apps/stream_probe.py")]);
    let streams = "closed=False writable=True readable=False seekable=False";
    assert_reply(
        &server.get("/"),
        200,
        &[
            "faulthandler fell back to sys.__stderr__",
            &format!("stdout {streams}"),
            &format!("stderr {streams}"),
            &format!("wsgi.errors {streams}"),
            "fileno raised UnsupportedOperation: wsgiscope's wsgi.errors",
        ],
    );
}
