//! Exit codes are an API: every program's codes are here, once, with the one function
//! that turns a code into the `Z…`/`D…` text its caller reports.

/// Exit status of qmail-queue (qmail-queue(8), "EXIT CODES"). 11–40 are permanent.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueExit {
    #[error("envelope address too long")]
    AddrTooLong = 11,
    #[error("mail server permanently rejected message")]
    PermRefused = 31,
    #[error("out of memory")]
    NoMem = 51,
    #[error("timeout")]
    Timeout = 52,
    #[error("write error or disk full")]
    WriteErr = 53,
    #[error("unable to read message or envelope")]
    ReadErr = 54,
    #[error("unable to read configuration")]
    Config = 55,
    #[error("trouble making network connection")]
    Network = 56,
    #[error("trouble in home directory")]
    HomeDir = 61,
    #[error("trouble in queue directory")]
    QueueDir = 62,
    #[error("trouble creating pid file")]
    PidFile = 63,
    #[error("trouble linking mess file")]
    MessFile = 64,
    #[error("trouble creating intd file")]
    IntdFile = 65,
    #[error("trouble linking todo file")]
    TodoFile = 66,
    #[error("mail server temporarily rejected message")]
    TempRefused = 71,
    #[error("connection to mail server timed out")]
    ConnTimeout = 72,
    #[error("connection to mail server rejected")]
    ConnRefused = 73,
    #[error("communication with mail server failed")]
    CommFailed = 74,
    #[error("internal bug")]
    Bug = 81,
    #[error("custom error on fd 6")]
    Custom = 82,
    #[error("envelope format error")]
    Envelope = 91,
}

/// Exit status of a caller's child that could not exec qmail-queue.
pub const QQ_EXEC_FAILED: u8 = 120;

impl QueueExit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// 11–40 are permanent, everything else temporary.
    pub fn is_permanent(code: u8) -> bool {
        (11..=40).contains(&code)
    }

    /// The caller's report for an exit code of qmail-queue (qmail.c's table): the first
    /// byte says D (permanent) or Z (temporary). Exit 0 is not an error and has no text.
    pub fn report(code: u8) -> &'static str {
        match code {
            11 | 115 => "Denvelope address too long for qq (#5.1.3)",
            31 => "Dmail server permanently rejected message (#5.3.0)",
            51 => "Zqq out of memory (#4.3.0)",
            52 => "Zqq timeout (#4.3.0)",
            53 => "Zqq write error or disk full (#4.3.0)",
            54 => "Zqq read error (#4.3.0)",
            55 => "Zqq unable to read configuration (#4.3.0)",
            56 => "Zqq trouble making network connection (#4.3.0)",
            61 => "Zqq trouble in home directory (#4.3.0)",
            62..=66 => "Zqq trouble creating files in queue (#4.3.0)",
            71 => "Zmail server temporarily rejected message (#4.3.0)",
            72 => "Zconnection to mail server timed out (#4.4.1)",
            73 => "Zconnection to mail server rejected (#4.4.1)",
            74 => "Zcommunication with mail server failed (#4.4.2)",
            81 | 91 => "Zqq internal bug (#4.3.0)",
            QQ_EXEC_FAILED => "Zunable to exec qq (#4.3.0)",
            c if Self::is_permanent(c) => "Dqq permanent problem (#5.3.0)",
            _ => "Zqq temporary problem (#4.3.0)",
        }
    }

    /// The report when qmail-queue was killed by a signal.
    pub const CRASHED: &'static str = "Zqq crashed (#4.3.0)";
    /// The report when waitpid returned something unexpected.
    pub const WAITPID_SURPRISE: &'static str = "Zqq waitpid surprise (#4.3.0)";
}

/// Exit codes of qmail-local and of `.qmail` programs.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalExit {
    Ok = 0,
    /// `.qmail` program: success, and skip the rest of the file.
    Stop = 99,
    Perm = 100,
    Temp = 111,
}

impl LocalExit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Exit codes of the netstring servers, qmail-qmtpd and qmail-qmqpd. They say nothing on
/// the way out: the code is all.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QmtpExit {
    /// The client went away (EOF, a read or write error).
    Gone = 0,
    /// Not QMTP/QMQP: a malformed netstring.
    Proto = 100,
    /// Out of some resource (qmail-queue, controls, a length beyond the limit, time).
    Resources = 111,
}

impl QmtpExit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<QmtpExit> for crate::fatal::Fatal {
    fn from(e: QmtpExit) -> crate::fatal::Fatal {
        crate::fatal::Fatal::quiet(e.code())
    }
}

/// qmail-queue says nothing: its caller reads the exit code.
impl From<QueueExit> for crate::fatal::Fatal {
    fn from(e: QueueExit) -> crate::fatal::Fatal {
        crate::fatal::Fatal::quiet(e.code())
    }
}

/// Exit codes of the qmail-lspawn child before and while exec'ing qmail-local (qlx.h).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qlx {
    Usage = 112,
    Root = 113,
    Nfs = 115,
    NoAlias = 116,
    Cdb = 117,
    Sys = 118,
    NoMem = 119,
    ExecSoft = 120,
    ExecPw = 121,
    ExecHard = 126,
}

impl Qlx {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// qmail-lspawn's report for a qmail-local exit status that is one of ours.
    pub fn report(code: u8) -> Option<&'static str> {
        Some(match code {
            117 => "ZTrouble reading users/cdb in qmail-lspawn.\n",
            119 => "ZOut of memory in qmail-lspawn.\n",
            118 => "ZTemporary failure in qmail-lspawn.\n",
            116 => "ZUnable to find alias user!\n",
            113 => "ZNot allowed to perform deliveries as root.\n",
            112 => "ZInternal qmail-lspawn bug.\n",
            115 => "ZNFS failure in qmail-local.\n",
            126 => "DUnable to run qmail-local.\n",
            120 => "ZUnable to run qmail-local.\n",
            121 => "ZUnable to run qmail-getpw.\n",
            _ => return None,
        })
    }
}

/// Is this errno temporary (qmail's error_temp)? Decides 111 against 100 after a failed
/// open or exec.
pub fn errno_is_temp(errno: i32) -> bool {
    use libc::*;
    matches!(
        errno,
        EINTR
            | ENOMEM
            | ETXTBSY
            | EIO
            | ETIMEDOUT
            | EAGAIN
            | EDEADLK
            | EBUSY
            | ENFILE
            | EMFILE
            | EFBIG
            | ENOSPC
            | ENETDOWN
            | ENETUNREACH
            | ENETRESET
            | ECONNABORTED
            | ECONNRESET
            | ENOBUFS
            | ETOOMANYREFS
            | ECONNREFUSED
            | EHOSTDOWN
            | EHOSTUNREACH
            | EUSERS
            | EDQUOT
            | ESTALE
            | ENOLCK
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanence_follows_the_table() {
        for c in 0..=255u8 {
            let r = QueueExit::report(c);
            let perm = (11..=40).contains(&c) || c == 115;
            assert_eq!(r.starts_with('D'), perm, "code {c}: {r}");
        }
        assert_eq!(
            QueueExit::report(53),
            "Zqq write error or disk full (#4.3.0)"
        );
        assert_eq!(QueueExit::WriteErr.code(), 53);
    }

    #[test]
    fn errno_classes() {
        assert!(errno_is_temp(libc::ENOSPC));
        assert!(!errno_is_temp(libc::ENOENT));
        assert!(!errno_is_temp(libc::EACCES));
    }
}
