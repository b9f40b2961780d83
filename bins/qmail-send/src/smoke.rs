//! Pseudo-random inputs through every parser of bytes read from queue files and pipes:
//! none may panic (the fuzz targets' property, run as an ordinary test).

use crate::{bounce, records, verp};

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn input(s: &mut u64) -> Vec<u8> {
    let len = (xorshift(s) % 64) as usize;
    // Few distinct bytes so records, NULs and @ signs are common.
    let alphabet = b"\0TDFupa@-[]\n%.";
    (0..len)
        .map(|_| alphabet[(xorshift(s) % alphabet.len() as u64) as usize])
        .collect()
}

#[test]
fn parsers_never_panic() {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut reports = qmail_spawn::report::ReportBuf::default();
    for _ in 0..20_000 {
        let a = input(&mut s);
        let b = input(&mut s);
        let mut cur = std::io::Cursor::new(a.clone());
        for _ in 0..8 {
            let _ = records::next_record(&mut cur);
        }
        for r in reports.feed(&a) {
            let mut sch = crate::sched::Sched::new(crate::chan::PerChannel::new(3, 3), 10);
            let _ = sch.on_report(crate::chan::Channel::Local, &r);
        }
        let _ = verp::expand(&a, &b);
        let _ = bounce::paragraph(&a, &b);
        let _ = bounce::quote2(&a);
        let _ = bounce::base_sender(&a);
    }
}
