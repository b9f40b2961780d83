//! Entry points for the fuzz targets (the fuzz/ workspace calls these): none may panic,
//! and what the printer writes must read back the same.
use crate::addrlist::addrlist;
use crate::headerbody;
use crate::inject::{inject_message, Controls, Options, Settings, Strategy};
use crate::token822::{parse, unparse, Token};

/// A whole message through qmail-inject's rewriting (fixed settings), plus the
/// header/body split: no panic, and the body comes out unchanged after the new header.
pub fn fuzz_header(data: &[u8]) {
    let (_, body) = headerbody::split(data);
    let env = |k: &str| match k {
        "USER" => Some(b"fuzz".to_vec()),
        _ => None,
    };
    let controls = Controls {
        me: Some(b"fuzz.example".to_vec()),
        ..Controls::default()
    };
    let Ok(set) = Settings::new(&env, &controls, None, 0, 1) else {
        return;
    };
    let opts = Options {
        strategy: Strategy::Header,
        sender: None,
        args: Vec::new(),
    };
    if let Ok(out) = inject_message(&set, &opts, data, false) {
        assert!(out.text.ends_with(&body), "body changed");
    }
}

/// An address list: parse → print → parse gives the same tokens, and the printed form
/// is a fixed point of printing.
pub fn fuzz_address(data: &[u8]) {
    let mut field = b"To: ".to_vec();
    field.extend_from_slice(data);
    let Some(ta) = parse(&field) else { return };
    let printed = unparse(&ta, 80);
    let again = parse(&printed).unwrap_or_default();
    assert_eq!(ta, again, "tokens changed by printing");
    let Ok(rw) = addrlist(&ta, &mut |_a: &mut Vec<Token>| {}) else {
        return;
    };
    let p1 = unparse(&rw, 80);
    let t2 = parse(&p1).unwrap_or_default();
    let p2 = match addrlist(&t2, &mut |_a: &mut Vec<Token>| {}) {
        Ok(r) => unparse(&r, 80),
        Err(_) => Vec::new(),
    };
    assert_eq!(p1, p2, "address list not stable under parse and print");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_do_not_panic() {
        let samples: &[&[u8]] = &[
            b"",
            b"a",
            b"\"",
            b"(",
            b"a b c, <d@e> (f) g: h;, \"i\\\" j\" <@k,@l:m@n.>",
            b"\\",
            b"x\\",
            b"a\xff\x00b <c>",
            b">,<;:@.",
            b"To: a\nFrom: b\n\nbody",
            b"From x\n  y\nTo: \"q\n\nz",
        ];
        for s in samples {
            fuzz_header(s);
            fuzz_address(s);
        }
    }

    /// A cheap stand-in for the fuzzer: random strings over the interesting bytes.
    #[test]
    fn random_inputs_hold_the_properties() {
        let alphabet = b"ab@.,<>:;()\"[]\\ \n\t\xff+";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..30_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let mut s = Vec::with_capacity(len);
            let mut y = x;
            for _ in 0..len {
                y = y
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[((y >> 33) as usize) % alphabet.len()]);
            }
            fuzz_address(&s);
            fuzz_header(&s);
        }
    }
}
