use super::*;
use crate::chan::Channel::{Local, Remote};
use crate::chan::PerChannel;

const DAY: Timestamp = 86400;

fn logs(acts: &[Action]) -> Vec<String> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Log(l) => Some(String::from_utf8_lossy(l).into_owned()),
            _ => None,
        })
        .collect()
}

/// The actions but the log lines and the notes of deliveries under way.
fn no_logs(acts: Vec<Action>) -> Vec<Action> {
    acts.into_iter()
        .filter(|a| {
            !matches!(
                a,
                Action::Log(_) | Action::Began { .. } | Action::Ended { .. }
            )
        })
        .collect()
}

/// Every delivery is noted when it starts and when it reports, whatever the outcome.
#[test]
fn deliveries_under_way_are_noted() {
    let now = 1_000_000;
    let mut s = Sched::new(PerChannel::new(10, 20), 604800);
    s.insert(Remote, 9, now);
    open(&mut s, Remote, 9, b"s@x", now, now);
    let acts = read(&mut s, Remote, Record::Todo(b"u@y".to_vec()), now);
    assert!(acts.contains(&Action::Began {
        chan: Remote,
        msg: 9,
        offset: 0
    }));
    s.command_sent(Remote);
    let acts = s.on_report(Remote, &report(0, b'Z', b"later\n"));
    assert!(acts.contains(&Action::Ended {
        chan: Remote,
        msg: 9,
        offset: 0
    }));
}

/// Open the due pass on `chan` for `msg` with the given birth.
fn open(s: &mut Sched, chan: Channel, msg: MsgId, sender: &[u8], birth: Timestamp, now: Timestamp) {
    let acts = s.poll(now);
    assert!(acts.contains(&Action::OpenPass { chan, msg }), "{acts:?}");
    s.pass_opened(chan, sender.to_vec(), birth, now);
}

/// Feed recipients until the spawn would block; returns the commands' slots.
fn read(s: &mut Sched, chan: Channel, rec: Record, now: Timestamp) -> Vec<Action> {
    let acts = s.poll(now);
    assert!(acts.contains(&Action::ReadRecord { chan }), "{acts:?}");
    s.on_record(chan, rec, now)
}

fn report(slot: u8, letter: u8, text: &[u8]) -> Vec<u8> {
    [&[slot, letter][..], text, b"\0"].concat()
}

#[test]
fn retry_schedule_is_quadratic() {
    let b = 1_000_000;
    assert_eq!(nextretry(b, b, Local), b + 100);
    assert_eq!(nextretry(b, b + 100, Local), b + 400);
    assert_eq!(nextretry(b, b + 399, Local), b + 29 * 29);
    assert_eq!(nextretry(b, b + 400, Local), b + 900);
    assert_eq!(nextretry(b, b + 1600, Local), b + 2500);
    assert_eq!(nextretry(b, b, Remote), b + 400);
    assert_eq!(nextretry(b, b + 400, Remote), b + 1600);
    assert_eq!(nextretry(b, b + 3600, Remote), b + 6400);
    // A birth in the future counts as age 0.
    assert_eq!(nextretry(b, b - 50, Local), b + 100);
    // Exact integer square roots for large ages.
    for t in [99_999_999i64, 100_000_000, 4_503_599_761_588_224] {
        let r = isqrt(t);
        assert!(r * r <= t && (r + 1) * (r + 1) > t, "{t}");
    }
}

#[test]
fn one_local_success_then_finish() {
    let now = 5000;
    let mut s = Sched::new(PerChannel::new(10, 20), 604800);
    s.insert(Local, 42, now);
    open(&mut s, Local, 42, b"a@b", now, now);
    let acts = read(&mut s, Local, Record::Todo(b"u@x".to_vec()), now);
    assert_eq!(
        logs(&acts),
        [
            "starting delivery 1: msg 42 to local u@x\n",
            "status: local 1/10 remote 0/20\n"
        ]
    );
    assert!(acts.contains(&Action::Command {
        chan: Local,
        bytes: crate::verp::command(0, 42, b"a@b", b"u@x")
    }));
    // The command is not written yet: no further read.
    assert!(!s.poll(now).contains(&Action::ReadRecord { chan: Local }));
    s.command_sent(Local);
    let acts = read(&mut s, Local, Record::Eof, now);
    assert_eq!(no_logs(acts), [Action::ClosePass { chan: Local }]);
    let acts = s.on_report(Local, &report(0, b'K', b"did 1+0+0\n"));
    assert_eq!(
        logs(&acts),
        [
            "delivery 1: success: did_1+0+0/\n",
            "status: local 0/10 remote 0/20\n"
        ]
    );
    assert_eq!(
        no_logs(acts),
        [
            Action::MarkDone {
                msg: 42,
                chan: Local,
                offset: 0
            },
            Action::FinishChannel {
                msg: 42,
                chan: Local
            }
        ]
    );
}

#[test]
fn deferral_reschedules_at_retry_time() {
    let birth = 10_000;
    let now = birth + 150;
    let mut s = Sched::new(PerChannel::new(10, 20), 604800);
    s.insert(Local, 7, now);
    open(&mut s, Local, 7, b"", birth, now);
    read(&mut s, Local, Record::Todo(b"u@x".to_vec()), now);
    s.command_sent(Local);
    read(&mut s, Local, Record::Eof, now);
    let acts = s.on_report(Local, &report(0, b'Z', b"try later\n"));
    assert_eq!(logs(&acts)[0], "delivery 1: deferral: try_later/\n");
    assert_eq!(no_logs(acts), []);
    // floor(sqrt(150)) = 12; (12+10)^2 = 484.
    assert_eq!(s.queued(Local), [(7, birth + 484)]);
    assert_eq!(s.wakeup(now), Some(birth + 484));
    assert!(s.poll(birth + 483).is_empty());
    assert_eq!(
        s.poll(birth + 484),
        [Action::OpenPass {
            chan: Local,
            msg: 7
        }]
    );
}

#[test]
fn deferral_after_queuelifetime_becomes_failure() {
    let birth = 100 * DAY;
    let lifetime = 2;
    let now = birth + 3;
    let mut s = Sched::new(PerChannel::new(10, 20), lifetime);
    s.insert(Remote, 9, now);
    open(&mut s, Remote, 9, b"s@y", birth, now);
    read(&mut s, Remote, Record::Todo(b"r@z".to_vec()), now);
    s.command_sent(Remote);
    read(&mut s, Remote, Record::Eof, now);
    let acts = s.on_report(Remote, &report(0, b'Z', b"Connection refused.\n"));
    let text = [&b"Connection refused.\n"[..], TOO_LONG].concat();
    assert_eq!(
        logs(&acts)[0],
        format!(
            "delivery 1: failure: {}\n",
            String::from_utf8_lossy(&crate::log::logsafe(&text))
        )
    );
    assert_eq!(
        no_logs(acts),
        [
            Action::AddBounce {
                msg: 9,
                recip: b"r@z".to_vec(),
                text
            },
            Action::MarkDone {
                msg: 9,
                chan: Remote,
                offset: 0
            },
            Action::FinishChannel {
                msg: 9,
                chan: Remote
            }
        ]
    );
}

#[test]
fn not_dying_exactly_at_lifetime() {
    let birth = 1000;
    let mut s = Sched::new(PerChannel::new(1, 1), 50);
    s.insert(Local, 1, birth + 50);
    open(&mut s, Local, 1, b"", birth, birth + 50);
    read(&mut s, Local, Record::Todo(b"u@x".to_vec()), birth + 50);
    let acts = s.on_report(Local, &report(0, b'Z', b"later"));
    assert_eq!(logs(&acts)[0], "delivery 1: deferral: later\n");
}

#[test]
fn bounce_waits_for_every_recipient() {
    let now = 777;
    let mut s = Sched::new(PerChannel::new(10, 20), 604800);
    s.insert(Local, 5, now);
    open(&mut s, Local, 5, b"s@y", now, now);
    read(&mut s, Local, Record::Todo(b"a@x".to_vec()), now);
    s.command_sent(Local);
    read(&mut s, Local, Record::Done(5), now);
    read(&mut s, Local, Record::Todo(b"bb@x".to_vec()), now);
    s.command_sent(Local);
    // The first recipient fails before the pass reached EOF: bounce text recorded, the
    // record marked, but the channel is not finished.
    let acts = s.on_report(Local, &report(0, b'D', b"no mailbox"));
    assert_eq!(
        no_logs(acts),
        [
            Action::AddBounce {
                msg: 5,
                recip: b"a@x".to_vec(),
                text: b"no mailbox".to_vec()
            },
            Action::MarkDone {
                msg: 5,
                chan: Local,
                offset: 0
            }
        ]
    );
    assert_eq!(
        no_logs(read(&mut s, Local, Record::Eof, now)),
        [Action::ClosePass { chan: Local }]
    );
    // Second recipient at offset 5 (a@x record) + 5 (D record) = 10.
    let acts = s.on_report(Local, &report(1, b'K', b"ok"));
    assert_eq!(
        no_logs(acts),
        [
            Action::MarkDone {
                msg: 5,
                chan: Local,
                offset: 10
            },
            Action::FinishChannel {
                msg: 5,
                chan: Local
            }
        ]
    );
    // main reports the channel file gone and the other absent: the message is done now.
    s.insert_done(5, now);
    assert_eq!(s.poll(now), [Action::MessDone { msg: 5 }]);
}

#[test]
fn one_deferral_keeps_the_channel() {
    let now = 50_000;
    let mut s = Sched::new(PerChannel::new(10, 20), 604800);
    s.insert(Local, 5, now);
    open(&mut s, Local, 5, b"", now, now);
    read(&mut s, Local, Record::Todo(b"a@x".to_vec()), now);
    s.command_sent(Local);
    read(&mut s, Local, Record::Todo(b"b@x".to_vec()), now);
    s.command_sent(Local);
    read(&mut s, Local, Record::Eof, now);
    assert_eq!(no_logs(s.on_report(Local, &report(1, b'Z', b"later"))), []);
    let acts = s.on_report(Local, &report(0, b'K', b"ok"));
    assert_eq!(
        no_logs(acts),
        [Action::MarkDone {
            msg: 5,
            chan: Local,
            offset: 0
        }]
    );
    assert_eq!(s.queued(Local), [(5, now + 100)]);
}

#[test]
fn both_channels_run_in_parallel() {
    let now = 1_000;
    let mut s = Sched::new(PerChannel::new(10, 20), 604800);
    s.insert(Local, 3, now);
    s.insert(Remote, 3, now);
    let acts = s.poll(now);
    assert_eq!(
        acts,
        [
            Action::OpenPass {
                chan: Local,
                msg: 3
            },
            Action::OpenPass {
                chan: Remote,
                msg: 3
            }
        ]
    );
    s.pass_opened(Local, b"s@y".to_vec(), now, now);
    s.pass_opened(Remote, b"s@y".to_vec(), now, now);
    let acts = s.poll(now);
    assert_eq!(
        acts,
        [
            Action::ReadRecord { chan: Local },
            Action::ReadRecord { chan: Remote }
        ]
    );
    let l = s.on_record(Local, Record::Todo(b"me@here".to_vec()), now);
    let r = s.on_record(Remote, Record::Todo(b"you@there".to_vec()), now);
    assert_eq!(logs(&l)[0], "starting delivery 1: msg 3 to local me@here\n");
    assert_eq!(
        logs(&r)[0],
        "starting delivery 2: msg 3 to remote you@there\n"
    );
    assert_eq!(logs(&r)[1], "status: local 1/10 remote 1/20\n");
    s.command_sent(Local);
    s.command_sent(Remote);
    read(&mut s, Local, Record::Eof, now);
    read(&mut s, Remote, Record::Eof, now);
    let acts = s.on_report(Remote, &report(0, b'D', b"550 no"));
    assert!(acts.contains(&Action::FinishChannel {
        msg: 3,
        chan: Remote
    }));
    let acts = s.on_report(Local, &report(0, b'K', b"ok"));
    assert!(acts.contains(&Action::FinishChannel {
        msg: 3,
        chan: Local
    }));
}

#[test]
fn concurrency_limit_holds_back_recipients() {
    let now = 1_000;
    let mut s = Sched::new(PerChannel::new(2, 20), 604800);
    s.insert(Local, 8, now);
    open(&mut s, Local, 8, b"", now, now);
    for (i, r) in [b"a@x", b"b@x"].iter().enumerate() {
        let acts = read(&mut s, Local, Record::Todo(r.to_vec()), now);
        assert!(logs(&acts)[1].starts_with(&format!("status: local {}/2 ", i + 1)));
        s.command_sent(Local);
    }
    // Both slots busy: no read, and nothing to wake up for.
    assert_eq!(s.poll(now), []);
    assert_eq!(s.wakeup(now), None);
    s.on_report(Local, &report(1, b'K', b"ok"));
    assert_eq!(s.wakeup(now), Some(now));
    let acts = read(&mut s, Local, Record::Todo(b"c@x".to_vec()), now);
    // The freed slot 1 is reused; delivery numbers keep counting.
    assert!(acts.contains(&Action::Command {
        chan: Local,
        bytes: crate::verp::command(1, 8, b"", b"c@x")
    }));
    assert_eq!(logs(&acts)[0], "starting delivery 3: msg 8 to local c@x\n");
}

#[test]
fn jobs_are_limited_by_total_concurrency() {
    let now = 1_000;
    let mut s = Sched::new(PerChannel::new(1, 0), 604800);
    s.insert(Local, 1, now);
    s.insert(Remote, 2, now);
    // One job slot in all: the local pass takes it, the remote queue waits.
    assert_eq!(
        s.poll(now),
        [Action::OpenPass {
            chan: Local,
            msg: 1
        }]
    );
    s.pass_opened(Local, Vec::new(), now, now);
    assert_eq!(s.poll(now), [Action::ReadRecord { chan: Local }]);
}

#[test]
fn mangled_and_out_of_range_reports() {
    let now = 1_000;
    let mut s = Sched::new(PerChannel::new(2, 2), 604800);
    assert_eq!(
        logs(&s.on_report(Local, &report(0, b'K', b"x"))),
        ["warning: internal error: delivery report out of range\n"]
    );
    assert_eq!(
        logs(&s.on_report(Local, &report(9, b'K', b"x"))),
        ["warning: internal error: delivery report out of range\n"]
    );
    s.insert(Local, 1, now);
    open(&mut s, Local, 1, b"", now, now);
    read(&mut s, Local, Record::Todo(b"a@x".to_vec()), now);
    let acts = s.on_report(Local, &report(0, b'?', b"x"));
    assert_eq!(logs(&acts)[0], "delivery 1: report mangled, will defer\n");
}

#[test]
fn pass_failures_and_unknown_records() {
    let now = 1_000;
    let mut s = Sched::new(PerChannel::new(2, 2), 604800);
    s.insert(Local, 46, now);
    assert_eq!(
        s.poll(now),
        [Action::OpenPass {
            chan: Local,
            msg: 46
        }]
    );
    let acts = s.pass_failed(Local, now);
    assert_eq!(
        logs(&acts),
        ["warning: trouble opening local/0/46; will try again later\n"]
    );
    assert_eq!(s.queued(Local), [(46, now + SLEEP_SYSFAIL)]);
    open(&mut s, Local, 46, b"", now, now + SLEEP_SYSFAIL);
    let acts = read(&mut s, Local, Record::Unknown, now + SLEEP_SYSFAIL);
    assert_eq!(
        logs(&acts),
        ["warning: unknown record type in local/0/46!\n"]
    );
    // Not at EOF: retried on the schedule, not finished.
    // age 123 at pass start: (floor(sqrt(123)) + 10)^2 = 441.
    assert_eq!(s.queued(Local), [(46, now + 441)]);
}

#[test]
fn alarm_makes_everything_due() {
    let mut s = Sched::new(PerChannel::new(2, 2), 604800);
    s.insert(Local, 1, 5000);
    s.insert(Remote, 2, 9000);
    s.alarm(10);
    assert_eq!(s.queued(Local), [(1, 10)]);
    assert_eq!(s.queued(Remote), [(2, 10)]);
}

#[test]
fn exit_waits_for_running_deliveries_of_live_spawns() {
    let now = 1_000;
    let mut s = Sched::new(PerChannel::new(2, 2), 604800);
    s.insert(Local, 1, now);
    open(&mut s, Local, 1, b"", now, now);
    read(&mut s, Local, Record::Todo(b"a@x".to_vec()), now);
    s.exit_asap();
    assert!(!s.can_exit());
    assert_eq!(s.status(), b"status: local 1/2 remote 0/2 exitasap\n");
    s.insert(Remote, 2, now);
    assert_eq!(s.poll(now), []);
    let acts = s.spawn_died(Local);
    assert_eq!(
        logs(&acts),
        ["alert: oh no! lost spawn connection! dying...\n"]
    );
    assert!(s.can_exit());
}

/// One main-loop round as the daemon runs it: `poll`, then `pass_do` while it returns
/// something (at most `round_steps` in all), each action answered as its I/O would be.
/// Every message has one recipient, `u<id>@x`. `written` says whether the spawn takes
/// each command at once; `open` is each channel's open pass (message, its recipient
/// read), kept across rounds. Returns the log lines of the round.
fn round(s: &mut Sched, now: Timestamp, written: bool, open: &mut OpenPasses) -> Vec<String> {
    let mut lines = Vec::new();
    let mut acts = s.poll(now);
    for _ in 0..s.round_steps() {
        if acts.is_empty() {
            break;
        }
        let mut more = std::collections::VecDeque::from(acts);
        while let Some(a) = more.pop_front() {
            let answer = match a {
                Action::Log(l) => {
                    lines.push(String::from_utf8_lossy(&l).into_owned());
                    Vec::new()
                }
                Action::OpenPass { chan, msg } => {
                    open[chan] = Some((msg, false));
                    s.pass_opened(chan, b"s@y".to_vec(), now, now);
                    Vec::new()
                }
                Action::ReadRecord { chan } => {
                    let p = open[chan].as_mut().expect("pass open");
                    let rec = if p.1 {
                        Record::Eof
                    } else {
                        Record::Todo(format!("u{}@x", p.0).into_bytes())
                    };
                    p.1 = true;
                    s.on_record(chan, rec, now)
                }
                Action::Command { chan, .. } => {
                    if written {
                        s.command_sent(chan);
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            };
            for m in answer.into_iter().rev() {
                more.push_front(m);
            }
        }
        acts = s.pass_do(now);
    }
    lines
}

type OpenPasses = PerChannel<Option<(MsgId, bool)>>;

fn starts(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l.starts_with("starting delivery"))
        .map(String::as_str)
        .collect()
}

#[test]
fn one_round_fills_every_free_slot() {
    let now = 1_000;
    let mut open = OpenPasses::default();
    let mut s = Sched::new(PerChannel::new(3, 2), 604800);
    for id in 1..=5 {
        s.insert(Local, id, now);
    }
    for id in 11..=13 {
        s.insert(Remote, id, now);
    }
    let lines = round(&mut s, now, true, &mut open);
    // Three local and two remote deliveries start in one round, in queue order, each
    // followed by its status line, as they would over several rounds.
    assert_eq!(
        starts(&lines),
        [
            "starting delivery 1: msg 1 to local u1@x\n",
            "starting delivery 2: msg 11 to remote u11@x\n",
            "starting delivery 3: msg 2 to local u2@x\n",
            "starting delivery 4: msg 12 to remote u12@x\n",
            "starting delivery 5: msg 3 to local u3@x\n",
        ]
    );
    assert_eq!(lines.last().unwrap(), "status: local 3/3 remote 2/2\n");
    // Every slot is busy: the concurrency limits hold, nothing more to do this round.
    assert_eq!(s.pass_do(now), []);
    assert_eq!(s.wakeup(now), None);
    // A report frees a slot: the next round starts exactly one more local delivery.
    s.on_report(Local, &report(1, b'K', b"ok"));
    let lines = round(&mut s, now, true, &mut open);
    assert_eq!(
        starts(&lines),
        ["starting delivery 6: msg 4 to local u4@x\n"]
    );
    assert_eq!(s.pass_do(now), []);
}

#[test]
fn one_round_stops_while_a_command_is_unwritten() {
    let now = 1_000;
    let mut open = OpenPasses::default();
    let mut s = Sched::new(PerChannel::new(5, 0), 604800);
    for id in 1..=3 {
        s.insert(Local, id, now);
    }
    // The spawn has not taken the first command: no second delivery in this round.
    let lines = round(&mut s, now, false, &mut open);
    assert_eq!(
        starts(&lines),
        ["starting delivery 1: msg 1 to local u1@x\n"]
    );
    assert_eq!(s.pass_do(now), []);
    // Once it is written, the next round starts the other two.
    s.command_sent(Local);
    let lines = round(&mut s, now, true, &mut open);
    assert_eq!(starts(&lines).len(), 2);
}

#[test]
fn round_steps_suffice_to_fill_the_larger_channel() {
    let now = 1_000;
    let mut open = OpenPasses::default();
    let mut s = Sched::new(PerChannel::new(2, 4), 604800);
    assert_eq!(s.round_steps(), 15);
    for id in 1..=100 {
        s.insert(Remote, id, now);
    }
    // Open, read and close per one-recipient message: all four remote slots fill within
    // the bound, and the free slots, not the bound, end the round.
    let lines = round(&mut s, now, true, &mut open);
    assert_eq!(starts(&lines).len(), 4);
}
