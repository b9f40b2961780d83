//! Preprocessing: todo/<id> becomes info/<id> and the local and remote files. A batch of
//! messages is written first and then fsynced together ([`flush`]): every file of a
//! message is durable before it is reported, as before, but the fsyncs of a batch share
//! journal commits. Every step can be redone from scratch: a failure leaves todo/<id> for
//! the next scan, and only qmail-send removes it, after this reports.
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;

use qmail_core::queue::records::{self, TodoRec};
use qmail_core::queue::todopipe::Done;
use qmail_core::queue::Dir;
use qmail_core::rewrite::Channel;
use qmail_core::sendlog::{info_msg, logsafe, new_msg, warn_fn};

use crate::Shared;

fn excl(path: &str) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
}

fn unlink_noent(path: &str) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A message whose files are written and still open, not yet fsynced.
pub struct Written {
    pub done: Done,
    files: Vec<(String, File)>,
}

/// Write todo/<id>'s files; `None` if it failed (warned) or is gone.
pub fn prepare(sh: &mut Shared, id: u64) -> Option<Written> {
    let todo = Dir::Todo.path(id);
    let data = match std::fs::read(&todo) {
        Ok(d) => d,
        // qmail-send removed it after an earlier report while this scan was under way
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(_) => {
            sh.log(&warn_fn("unable to open ", &todo, ""));
            return None;
        }
    };
    let mess = Dir::Mess.path(id);
    let Ok(meta) = std::fs::metadata(&mess) else {
        sh.log(&warn_fn("unable to stat ", &mess, ""));
        return None;
    };
    let (local_path, remote_path, info_path) = (
        Dir::Local.path(id),
        Dir::Remote.path(id),
        Dir::Info.path(id),
    );
    for p in [&local_path, &remote_path, &info_path] {
        if unlink_noent(p).is_err() {
            sh.log(&warn_fn("unable to unlink ", p, ""));
            return None;
        }
    }
    let Ok(mut info) = excl(&info_path) else {
        sh.log(&warn_fn("unable to create ", &info_path, ""));
        return None;
    };
    sh.log(&new_msg(id));
    let Some(recs) = records::parse_todo(&data) else {
        sh.log(&warn_fn("unknown record type in ", &todo, ""));
        return None;
    };
    let (mut uid, mut pid): (&[u8], &[u8]) = (b"", b"");
    let (mut local, mut remote): (Option<Vec<u8>>, Option<Vec<u8>>) = (None, None);
    for r in recs {
        match r {
            TodoRec::Uid(u) => uid = u,
            TodoRec::Pid(p) => pid = p,
            TodoRec::From(f) => {
                if info.write_all(&records::encode_info(f)).is_err() {
                    sh.log(&warn_fn("trouble writing to ", &info_path, ""));
                    return None;
                }
                let line = info_msg(id, meta.len(), f, &logsafe(pid), &logsafe(uid));
                sh.log(&line);
            }
            TodoRec::To(t) => {
                let (c, addr) = sh.rewrite.rewrite(t);
                let buf = match c {
                    Channel::Local => &mut local,
                    Channel::Remote => &mut remote,
                };
                records::encode_chan(&addr, buf.get_or_insert_with(Vec::new));
            }
        }
    }
    let mut files = vec![(info_path, info)];
    for (path, buf) in [(local_path, &local), (remote_path, &remote)] {
        let Some(buf) = buf else { continue };
        let Ok(mut f) = excl(&path) else {
            sh.log(&warn_fn("unable to create ", &path, ""));
            return None;
        };
        if f.write_all(buf).is_err() {
            sh.log(&warn_fn("trouble writing to ", &path, ""));
            return None;
        }
        files.push((path, f));
    }
    Some(Written {
        done: Done {
            id,
            local: local.is_some(),
            remote: remote.is_some(),
        },
        files,
    })
}

/// Make a batch durable: writeback of every file is started first, then each is fsynced.
/// The messages whose files all synced are returned; the others are warned about and
/// left to the next scan.
pub fn flush(sh: &mut Shared, batch: Vec<Written>) -> Vec<Done> {
    for w in &batch {
        for (_, f) in &w.files {
            // A hint only: its failure is fsync's to report.
            let _ = qmail_sys::fd::start_writeback(f.as_fd());
        }
    }
    let mut done = Vec::with_capacity(batch.len());
    for w in batch {
        let bad = w.files.iter().find(|(_, f)| f.sync_all().is_err());
        match bad {
            Some((path, _)) => sh.log(&warn_fn("trouble fsyncing ", path, "")),
            None => done.push(w.done),
        }
    }
    done
}
