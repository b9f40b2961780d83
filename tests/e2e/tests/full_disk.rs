//! A full file system gives temporary failures and loses nothing: a small tmpfs as the
//! queue makes qmail-queue fail with 53 (write error) while the messages already queued
//! stay and are delivered once there is space; a full tmpfs Maildir gives a deferral and
//! the message is delivered after space is freed.
//!
//! Each `sb.sh` call is a fresh mount namespace, so every scenario mounts its tmpfs and
//! runs the whole system inside one script, printing `key=value` lines to check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::collections::HashMap;

use qmail_e2e::{mailbox, Sandbox};

fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.control("me", &["disk.example"]);
    sb.control("locals", &["disk.example"]);
    sb
}

/// Shell functions shared by the scenarios: queue a message, start and stop qmail-send,
/// wait for a condition.
const LIB: &str = r#"
set -u
Q=/var/qmail/queue
queue() { # queue RCPT SIZE-IN-KB: prints qmail-queue's exit code
  { printf 'Subject: disk\n\n'; head -c $(( $2 * 1024 )) /dev/zero | tr '\0' x; echo; } > "$W/msg"
  printf 'Fs@disk.example\0T%s\0\0' "$1" > "$W/env"
  /var/qmail/bin/qmail-queue < "$W/msg" 1< "$W/env"; echo $?
}
start_send() {
  env - PATH=/var/qmail/bin:/usr/bin:/bin qmail-start ./Maildir/ > "$W/send.log" 2>&1 &
  SPID=$!
  for i in $(seq 1 200); do grep -q 'status: local' "$W/send.log" && return 0; sleep 0.05; done
  echo "send_start=failed"; return 1
}
stop_send() {
  kill -TERM $SPID; for i in $(seq 1 200); do kill -0 $SPID 2>/dev/null || break; sleep 0.05; done
  wait $SPID 2>/dev/null
  sleep 0.3 # let qmail-lspawn, qmail-clean and the logger see EOF and exit
}
waitfor() { # waitfor SECS COMMAND...: poll every 0.1 s (use eval '...' to re-expand)
  local n=$(( $1 * 10 )); shift
  for i in $(seq 1 $n); do "$@" && return 0; sleep 0.1; done; return 1
}
count() { find "$@" -type f | wc -l; }
"#;

fn run(sb: &Sandbox, script: &str) -> (HashMap<String, String>, String) {
    let w = sb.scratch();
    let r = sb.sh(&format!("W={}\n{LIB}\n{script}", w.display()));
    let out = r.stdout_str();
    let log = std::fs::read_to_string(w.join("send.log")).unwrap_or_default();
    let all = format!(
        "exit {:?}\nstdout:\n{out}\nstderr:\n{}\nlog:\n{log}",
        r.code,
        r.stderr_str()
    );
    assert_eq!(r.code, Some(0), "{all}");
    let kv = out
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (kv, all)
}

#[test]
fn full_queue_file_system_fails_temporarily_and_keeps_what_was_queued() {
    let sb = sandbox();
    let home = mailbox(&sb, "fdq");
    let (kv, all) = run(
        &sb,
        r#"
# The queue on a 1 MiB tmpfs, with the installed owners and modes.
cp -a $Q "$W/queue.orig"
mount -t tmpfs -o size=1m tmpfs $Q
cp -a "$W/queue.orig/." $Q/
chown --reference="$W/queue.orig" $Q; chmod --reference="$W/queue.orig" $Q
echo "mode=$(stat -c '%U:%G %a' $Q/mess $Q/todo $Q/lock/trigger | tr '\n' ' ')"
# Five messages queued while qmail-send is down.
for i in 1 2 3 4 5; do echo "q$i=$(queue fdq@disk.example 4)"; done
# Fill the file system.
dd if=/dev/zero of=$Q/filler bs=4k 2>/dev/null
echo "full=$(df --output=avail $Q | tail -1 | tr -d ' ')"
echo "qfull=$(queue fdq@disk.example 64)"
echo "qfull_small=$(queue fdq@disk.example 8)"
# Nothing half-written is left; the five are intact.
echo "mess_after=$(count $Q/mess)"
echo "todo_after=$(count $Q/todo)"
echo "intd_after=$(count $Q/intd)"
echo "pid_after=$(count $Q/pid)"
# Space again: everything is delivered, and new mail is accepted.
rm $Q/filler
start_send
echo "q6=$(queue fdq@disk.example 4)"
waitfor 30 eval 'test "$(count $Q/mess)" = 0'
echo "mess_end=$(count $Q/mess)"
stop_send
"#,
    );
    assert_eq!(
        kv["mode"].trim(),
        "qmailq:qmail 750 qmailq:qmail 750 qmails:qmail 622",
        "{all}"
    );
    for i in 1..=5 {
        assert_eq!(kv[&format!("q{i}")], "0", "{all}");
    }
    assert_eq!(kv["full"], "0", "{all}");
    // 53: "trouble writing to disk" (a temporary failure).
    assert_eq!(kv["qfull"], "53", "{all}");
    assert_eq!(kv["qfull_small"], "53", "{all}");
    assert_eq!(kv["mess_after"], "5", "{all}");
    assert_eq!(kv["todo_after"], "5", "{all}");
    assert_eq!(kv["intd_after"], "5", "{all}");
    assert_eq!(kv["pid_after"], "0", "{all}");
    assert_eq!(kv["q6"], "0", "{all}");
    assert_eq!(kv["mess_end"], "0", "{all}");
    let n = std::fs::read_dir(home.join("Maildir/new")).unwrap().count();
    assert_eq!(n, 6, "{all}");
}

#[test]
fn full_maildir_defers_and_delivers_after_space_is_freed() {
    let sb = sandbox();
    let home = mailbox(&sb, "fdm");
    let md = home.join("Maildir");
    let (kv, all) = run(
        &sb,
        &format!(
            r#"
M={md}
mount -t tmpfs -o size=256k,mode=700,uid=$(id -u qmailtest),gid=$(id -g qmailtest) tmpfs $M
mkdir $M/new $M/cur $M/tmp && chown qmailtest: $M/new $M/cur $M/tmp
dd if=/dev/zero of=$M/filler bs=4k 2>/dev/null
start_send
echo "q=$(queue fdm@disk.example 16)"
waitfor 30 grep -q 'deferral' "$W/send.log"
echo "new_full=$(count $M/new)"
echo "tmp_full=$(count $M/tmp)"
echo "queued_full=$(count $Q/mess)"
rm $M/filler
kill -ALRM $SPID
waitfor 30 eval 'test "$(count $M/new)" = 1'
echo "new_end=$(count $M/new)"
echo "tmp_end=$(count $M/tmp)"
waitfor 10 eval 'test "$(count $Q/mess)" = 0'
echo "queued_end=$(count $Q/mess)"
echo "size=$(stat -c %s $M/new/*)"
stop_send
"#,
            md = md.display()
        ),
    );
    assert_eq!(kv["q"], "0", "{all}");
    assert!(
        all.contains("deferral: Temporary_error_on_maildir_delivery._(#4.3.0)/"),
        "{all}"
    );
    assert_eq!(kv["new_full"], "0", "{all}");
    // The partial file in tmp/ was removed; the message is still queued.
    assert_eq!(kv["tmp_full"], "0", "{all}");
    assert_eq!(kv["queued_full"], "1", "{all}");
    assert_eq!(kv["new_end"], "1", "{all}");
    assert_eq!(kv["queued_end"], "0", "{all}");
    assert!(kv["size"].parse::<u64>().unwrap() > 16 * 1024, "{all}");
    assert!(all.contains("success: did_1+0+0/"), "{all}");
}

#[test]
fn no_inodes_for_info_leaves_todo_for_a_later_scan() {
    let sb = sandbox();
    let home = mailbox(&sb, "fdi");
    let (kv, all) = run(
        &sb,
        r#"
cp -a $Q "$W/queue.orig"
mount -t tmpfs -o size=4m,nr_inodes=400 tmpfs $Q
cp -a "$W/queue.orig/." $Q/
chown --reference="$W/queue.orig" $Q; chmod --reference="$W/queue.orig" $Q
echo "q1=$(queue fdi@disk.example 1)"
echo "q2=$(queue fdi@disk.example 1)"
# Use up every inode: qmail-send cannot create info/ files.
mkdir $Q/fill; i=0; while touch $Q/fill/$i 2>/dev/null; do i=$((i+1)); done
start_send
waitfor 10 grep -q 'warning: unable to create info/' "$W/send.log"
echo "todo_stuck=$(count $Q/todo)"
echo "info_stuck=$(count $Q/info)"
rm -r $Q/fill
# The next message pulls the trigger; the scan picks up all three.
echo "q3=$(queue fdi@disk.example 1)"
waitfor 30 eval 'test "$(count $Q/mess)" = 0'
echo "mess_end=$(count $Q/mess)"
stop_send
"#,
    );
    assert!(all.contains("warning: unable to create info/"), "{all}");
    for q in ["q1", "q2", "q3"] {
        assert_eq!(kv[q], "0", "{all}");
    }
    assert_eq!(kv["todo_stuck"], "2", "{all}");
    assert_eq!(kv["info_stuck"], "0", "{all}");
    assert_eq!(kv["mess_end"], "0", "{all}");
    let n = std::fs::read_dir(home.join("Maildir/new")).unwrap().count();
    assert_eq!(n, 3, "{all}");
}
