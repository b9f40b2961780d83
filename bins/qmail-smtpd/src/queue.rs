//! Carrying out the session's actions: replies to the client, submissions to qmail-queue
//! (through qmail_core::qmail, which honours $QMAILQUEUE).
use std::collections::VecDeque;

use qmail_core::date822::now;
use qmail_core::exit::{QueueExit, QQ_EXEC_FAILED};
use qmail_core::qmail::Qmail;
use qmail_smtp::{Action, AuthResult, Session};

use crate::client::Client;
use crate::tls::Engine;

/// The qmail-queue run for the message in progress.
enum Qq {
    Running(Qmail),
    /// The program could not be executed. qmail forks first and the child's exec fails,
    /// so the client gets 354 and, after the data, `451 unable to exec qq`; we give the
    /// same answers.
    ExecFailed,
}

/// Errors that come from execve rather than from making pipes or forking.
fn is_exec_error(e: &std::io::Error) -> bool {
    use nix::errno::Errno;
    matches!(
        e.raw_os_error().map(Errno::from_raw),
        Some(
            Errno::ENOENT
                | Errno::EACCES
                | Errno::ENOEXEC
                | Errno::ENOTDIR
                | Errno::ELOOP
                | Errno::ENAMETOOLONG
                | Errno::EISDIR
                | Errno::ETXTBSY
                | Errno::EPERM
        )
    )
}

/// The message in progress, if any; and qmail-tlsd, for STARTTLS.
pub struct Queue {
    qq: Option<Qq>,
    engine: Option<Engine>,
    /// checkpassword and its arguments, for AUTH.
    checkpassword: Vec<std::ffi::OsString>,
}

impl Queue {
    pub fn new(engine: Option<Engine>, checkpassword: Vec<std::ffi::OsString>) -> Queue {
        Queue {
            qq: None,
            engine,
            checkpassword,
        }
    }

    /// Do `acts` in order, feeding the session the answers it waits for. Returns the exit
    /// status when the session ends (replies flushed).
    pub fn carry_out(
        &mut self,
        session: &mut Session,
        acts: Vec<Action>,
        client: &mut Client,
    ) -> Option<u8> {
        let mut todo: VecDeque<Action> = acts.into();
        while let Some(a) = todo.pop_front() {
            let more = match a {
                Action::Reply(r) => {
                    client.put(&r);
                    Vec::new()
                }
                Action::QueueOpen => match Qmail::open_env(
                    &session
                        .queue_env()
                        .iter()
                        .map(|(k, v)| (*k, v.as_slice()))
                        .collect::<Vec<_>>(),
                ) {
                    Ok(q) => {
                        let qp = q.qp();
                        self.qq = Some(Qq::Running(q));
                        session.on_queue_open(Some(qp), now())
                    }
                    Err(e) if is_exec_error(&e) => {
                        self.qq = Some(Qq::ExecFailed);
                        session.on_queue_open(Some(0), now())
                    }
                    Err(_) => session.on_queue_open(None, now()),
                },
                Action::QueuePut(b) => {
                    if let Some(Qq::Running(q)) = self.qq.as_mut() {
                        q.put(&b);
                    }
                    Vec::new()
                }
                Action::QueueFail => {
                    if let Some(Qq::Running(q)) = self.qq.as_mut() {
                        q.fail();
                    }
                    Vec::new()
                }
                Action::QueueClose { sender, recipients } => {
                    let result = match self.qq.take() {
                        Some(Qq::Running(mut q)) => {
                            q.from(&sender);
                            for r in &recipients {
                                q.to(r);
                            }
                            q.close()
                        }
                        Some(Qq::ExecFailed) => Err(QueueExit::report(QQ_EXEC_FAILED).to_string()),
                        None => Err(QueueExit::report(QueueExit::Bug.code()).to_string()),
                    };
                    let result = result.as_ref().map(|_| ()).map_err(|e| e.as_bytes());
                    session.on_queue_close(result, now())
                }
                Action::QueueAbort => {
                    if let Some(Qq::Running(mut q)) = self.qq.take() {
                        q.fail();
                        let _ = q.close();
                    }
                    Vec::new()
                }
                Action::StartTls => {
                    // Every earlier reply goes out in clear text first.
                    if client.flush().is_err() {
                        return Some(1);
                    }
                    let timeout = client.timeout();
                    let r = match self.engine.as_mut() {
                        Some(e) => e.start(client, timeout),
                        None => Ok(None),
                    };
                    match r {
                        Ok(tls) => session.on_tls(tls),
                        Err(()) => return Some(1),
                    }
                }
                Action::CheckPassword { user, mut pass } => {
                    let stamp = format!("<{}.{}@qmail-smtpd>", std::process::id(), now());
                    let r =
                        crate::checkpw::check(&self.checkpassword, &user, &pass, stamp.as_bytes());
                    pass.fill(0);
                    crate::checkpw::log(r, &user);
                    if r == AuthResult::Bad {
                        std::thread::sleep(std::time::Duration::from_secs(
                            crate::checkpw::FAIL_DELAY,
                        ));
                    }
                    session.on_auth(r)
                }
                Action::Exit(code) => {
                    let _ = client.flush();
                    return Some(code);
                }
            };
            for m in more.into_iter().rev() {
                todo.push_front(m);
            }
        }
        None
    }
}
