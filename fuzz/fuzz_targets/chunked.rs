//! The chunked decoder on any bytes: it never panics, and the way the bytes are split into
//! reads does not change what it decodes.
//!
//! The server feeds the decoder whatever each `read()` returned: the whole body at once, or
//! one byte at a time from a slow client. Fed whole, fed one byte at a time, and fed in
//! pseudo-random pieces (drawn from a hash of the input, so a crash replays), the decoder must
//! give the same body, the same end position and the same trailers, or the same error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsgiscope::request::{ChunkStatus, ChunkedDecoder, RequestError};

/// `--max-body`'s default, 16 MiB; a second, tiny limit exercises the 413 path.
const MAX_BODIES: [u64; 2] = [16 * 1024 * 1024, 10];

/// What feeding produced: the body, where it ended in the input (None: needs more), the
/// trailer names; or the error.
type Outcome = Result<(Vec<u8>, Option<usize>, Vec<String>), RequestError>;

fuzz_target!(|data: &[u8]| {
    for max_body in MAX_BODIES {
        let whole = feed(data, max_body, &[data.len()]);
        let bytewise = feed(data, max_body, &vec![1; data.len()]);
        assert_eq!(whole, bytewise, "one byte at a time decodes differently");
        let split = feed(data, max_body, &random_sizes(data));
        assert_eq!(whole, split, "random pieces decode differently");
    }
});

/// Feed `data` in pieces of `sizes` (the last piece takes the rest).
fn feed(data: &[u8], max_body: u64, sizes: &[usize]) -> Outcome {
    let mut decoder = ChunkedDecoder::new(max_body);
    let mut body = Vec::new();
    let mut pos = 0;
    let mut end = None;
    let mut sizes = sizes.iter();
    while pos < data.len() {
        let size = sizes
            .next()
            .copied()
            .unwrap_or(data.len())
            .min(data.len() - pos);
        let piece = &data[pos..pos + size];
        match decoder.feed(piece, &mut body)? {
            ChunkStatus::Done { consumed } => {
                assert!(consumed <= piece.len());
                if end.is_none() {
                    end = Some(pos + consumed);
                } else {
                    // After the end, the decoder takes no more bytes.
                    assert_eq!(consumed, 0);
                }
            }
            ChunkStatus::NeedMore => assert!(end.is_none(), "NeedMore after Done"),
        }
        pos += size;
    }
    Ok((body, end, decoder.trailers().to_vec()))
}

/// Piece sizes from 1 to 64, from a 64-bit FNV-1a hash of the input and xorshift.
fn random_sizes(data: &[u8]) -> Vec<usize> {
    let mut state = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    let mut sizes = Vec::new();
    let mut total = 0;
    while total < data.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = (state % 64) as usize + 1;
        sizes.push(size);
        total += size;
    }
    sizes
}
