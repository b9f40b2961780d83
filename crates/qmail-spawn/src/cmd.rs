//! The command stream from qmail-send: `delnum messid\0 sender\0 recip\0`,
//! parsed byte by byte with no I/O, and validated with the exact report texts.

/// Longest messid (NUL included) accepted.
pub const MESSID_MAX: usize = 100;
/// Longest sender or recipient kept; longer means the command is refused as if memory ran out.
pub const FIELD_MAX: usize = 64 * 1024;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub delnum: u8,
    /// With its terminating NUL, as qmail-send sent it.
    pub messid: Vec<u8>,
    pub sender: Vec<u8>,
    pub recip: Vec<u8>,
    /// A field was too long to keep.
    pub abort: bool,
}

#[derive(Default)]
pub struct CmdParser {
    stage: u8,
    cur: Command,
}

impl CmdParser {
    /// Feed bytes; returns the commands completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Command> {
        let mut out = Vec::new();
        for &b in bytes {
            match self.stage {
                0 => {
                    self.cur = Command {
                        delnum: b,
                        ..Command::default()
                    };
                    self.stage = 1;
                }
                1 => {
                    push(&mut self.cur.messid, b, &mut self.cur.abort);
                    if b == 0 {
                        self.stage = 2;
                    }
                }
                2 => {
                    if b == 0 {
                        self.stage = 3;
                    } else {
                        push(&mut self.cur.sender, b, &mut self.cur.abort);
                    }
                }
                _ => {
                    if b == 0 {
                        self.stage = 0;
                        out.push(std::mem::take(&mut self.cur));
                    } else {
                        push(&mut self.cur.recip, b, &mut self.cur.abort);
                    }
                }
            }
        }
        out
    }
}

fn push(v: &mut Vec<u8>, b: u8, abort: &mut bool) {
    if v.len() < FIELD_MAX {
        v.push(b);
    } else {
        *abort = true;
    }
}

/// Checks made before anything is opened; `Err` is the report text for the delnum.
/// `slots` is the spawn's limit; `in_use` says whether the slot is busy.
pub fn validate(c: &Command, slots: usize, in_use: bool) -> Result<(), &'static str> {
    if c.abort {
        return Err("Zqmail-spawn out of memory. (#4.3.0)\n");
    }
    if usize::from(c.delnum) >= slots {
        return Err("ZInternal error: delnum too big. (#4.3.5)\n");
    }
    if in_use {
        return Err("ZInternal error: delnum in use. (#4.3.5)\n");
    }
    for (i, &b) in c.messid.iter().enumerate() {
        if b != 0 && (i == 0 || b != b'/') && !b.is_ascii_digit() {
            return Err("DInternal error: messid has nonnumerics. (#5.3.5)\n");
        }
    }
    if c.messid.len() > MESSID_MAX {
        return Err("DInternal error: messid too long. (#5.3.5)\n");
    }
    if c.messid.first().copied().unwrap_or(0) == 0 {
        return Err("DInternal error: messid too short. (#5.3.5)\n");
    }
    if !c.recip.contains(&b'@') {
        return Err("DSorry, address must include host name. (#5.1.3)\n");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(delnum: u8, messid: &[u8], recip: &[u8]) -> Command {
        Command {
            delnum,
            messid: [messid, b"\0"].concat(),
            sender: b"s@x".to_vec(),
            recip: recip.to_vec(),
            abort: false,
        }
    }

    #[test]
    fn parse_stream() {
        let mut p = CmdParser::default();
        assert!(p.feed(b"\x00").is_empty());
        let got = p.feed(b"5/28\0a@b\0c@d\0\x07");
        assert_eq!(
            got,
            [Command {
                delnum: 0,
                messid: b"5/28\0".to_vec(),
                sender: b"a@b".to_vec(),
                recip: b"c@d".to_vec(),
                abort: false
            }]
        );
        let got = p.feed(b"1/1\0\0x@y\0");
        assert_eq!(
            got.first().map(|c| (c.delnum, c.sender.is_empty())),
            Some((7, true))
        );
    }

    #[test]
    fn validation_texts() {
        assert_eq!(validate(&cmd(0, b"5/28", b"a@b"), 120, false), Ok(()));
        assert_eq!(
            validate(&cmd(120, b"5/28", b"a@b"), 120, false),
            Err("ZInternal error: delnum too big. (#4.3.5)\n")
        );
        assert_eq!(
            validate(&cmd(3, b"5/28", b"a@b"), 120, true),
            Err("ZInternal error: delnum in use. (#4.3.5)\n")
        );
        assert_eq!(
            validate(&cmd(0, b"/5", b"a@b"), 120, false),
            Err("DInternal error: messid has nonnumerics. (#5.3.5)\n")
        );
        assert_eq!(
            validate(&cmd(0, b"5/../x", b"a@b"), 120, false),
            Err("DInternal error: messid has nonnumerics. (#5.3.5)\n")
        );
        assert_eq!(
            validate(&cmd(0, &[b'1'; 100], b"a@b"), 120, false),
            Err("DInternal error: messid too long. (#5.3.5)\n")
        );
        assert_eq!(
            validate(&cmd(0, b"", b"a@b"), 120, false),
            Err("DInternal error: messid too short. (#5.3.5)\n")
        );
        assert_eq!(
            validate(&cmd(0, b"5/28", b"nohost"), 120, false),
            Err("DSorry, address must include host name. (#5.1.3)\n")
        );
        let mut c = cmd(0, b"1", b"a@b");
        c.abort = true;
        assert_eq!(
            validate(&c, 120, false),
            Err("Zqmail-spawn out of memory. (#4.3.0)\n")
        );
    }

    #[test]
    fn random_streams_never_panic() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut p = CmdParser::default();
        for _ in 0..50_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let alphabet = b"\0\x01\xff1/@a";
            let len = (s % 16) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| alphabet[((s >> (i * 3)) % 7) as usize])
                .collect();
            for c in p.feed(&bytes) {
                let _ = validate(&c, 120, c.delnum % 2 == 0);
            }
        }
    }
}
