//! The whole-buffer parser `text0::parse` and the streaming `Envelope` fed in random chunks
//! must agree on every input, and neither may panic.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use qmail_core::text0::{parse, Envelope, ParseError};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let whole = parse(input);

    // Stream the same bytes in chunks of 0..=16 bytes chosen by the seed.
    let mut env = Envelope::new();
    let mut out = Vec::new();
    let mut state = u32::from(seed) | 0x100;
    let mut rest = input;
    let mut used_total = 0usize;
    let mut error = None;
    while !env.is_done() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((state >> 16) % 17) as usize;
        let n = n.min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        match env.push(chunk, &mut out) {
            Ok(used) => {
                assert!(used <= chunk.len());
                assert!(used == chunk.len() || env.is_done(), "short use only at the end");
                used_total += used;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        rest = tail;
        if rest.is_empty() && !env.is_done() {
            break;
        }
    }

    match (whole, error) {
        (Err(ParseError::Bad(a)), Some(b)) => assert_eq!(a, b),
        (Err(ParseError::Truncated), None) => assert!(!env.is_done()),
        (Ok((sender, rcpts)), None) => {
            assert!(env.is_done());
            // The stored bytes are the input up to, not including, the final NUL.
            assert_eq!(used_total, out.len() + 1);
            assert_eq!(&input[..out.len()], &out[..]);
            assert_eq!(input[out.len()], 0);
            assert_eq!(env.recipients(), rcpts.len() as u64);
            // no address with a line break gets into the queue
            assert!(!qmail_core::quote::has_line_break(&sender));
            assert!(!rcpts.iter().any(|r| qmail_core::quote::has_line_break(r)));
            let rebuilt = qmail_core::text0::build(
                &sender,
                &rcpts.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            );
            assert_eq!(&rebuilt[..], &input[..used_total], "round trip");
        }
        (whole, error) => panic!("disagree: whole {whole:?}, streamed error {error:?}"),
    }
});
