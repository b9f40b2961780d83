use super::*;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

#[test]
fn reads_what_is_there() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"hello").unwrap();
    let mut t = Timed::new(a, 5);
    let mut buf = [0u8; 16];
    let n = t.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    drop(b);
    assert_eq!(t.read(&mut buf).unwrap(), 0, "EOF is a read of 0");
}

#[test]
fn a_silent_peer_times_out() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut t = Timed::new(a, 1);
    let start = Instant::now();
    let e = t.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn a_peer_that_reads_nothing_times_the_writer_out() {
    let (a, _b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let mut t = Timed::new(a, 1);
    let chunk = [b'x'; 4096];
    let e = loop {
        if let Err(e) = t.write(&chunk) {
            break e;
        }
    };
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn the_timeout_can_change() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut t = Timed::new(a, FOREVER);
    t.set_timeout(0);
    let e = t.read(&mut [0u8; 1]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn connect_from_a_chosen_address() {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let to = l.local_addr().unwrap();
    let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let s = connect(Some(from), to, 5).unwrap();
    let (mut peer, seen) = l.accept().unwrap();
    assert_eq!(seen.ip(), from);
    let mut t = Timed::new(s, 5);
    t.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    peer.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    peer.write_all(b"pong").unwrap();
    t.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");
}

#[test]
fn connect_refused_is_refused() {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let to = l.local_addr().unwrap();
    drop(l);
    let e = connect(None, to, 5).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
}

/// A listener whose accept queue is full drops new SYNs, so connecting hangs until the
/// timeout (Linux keeps backlog + 1 connections queued).
#[test]
fn connect_times_out() {
    let s = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .unwrap();
    let lo = SockaddrIn::from(std::net::SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    bind(s.as_raw_fd(), &lo).unwrap();
    nix::sys::socket::listen(&s, nix::sys::socket::Backlog::new(0).unwrap()).unwrap();
    let addr: SockaddrIn = nix::sys::socket::getsockname(s.as_raw_fd()).unwrap();
    let to = SocketAddr::from(std::net::SocketAddrV4::from(addr));
    let mut held = Vec::new();
    let start = Instant::now();
    let e = loop {
        match connect(None, to, 1) {
            Ok(c) => held.push(c),
            Err(e) => break e,
        }
        assert!(held.len() < 16, "the accept queue never filled");
    };
    assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_deadline_bounds_the_whole_exchange() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut t = Timed::new(a, FOREVER);
    let start = Instant::now();
    t.set_deadline(Some(start + Duration::from_millis(1500)));
    // A byte now and then: each read succeeds, but the deadline does not move.
    let feeder = std::thread::spawn(move || {
        for _ in 0..6 {
            std::thread::sleep(Duration::from_millis(400));
            if b.write_all(b"x").is_err() {
                break;
            }
        }
    });
    let mut buf = [0u8; 1];
    let e = loop {
        match t.read(&mut buf) {
            Ok(n) => assert_eq!(n, 1),
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(2),
        "{took:?}"
    );
    t.set_deadline(None);
    drop(t);
    feeder.join().unwrap();
}

#[test]
fn a_blocking_socket_that_fills_up_times_the_writer_out() {
    // The first try of each write does not block (MSG_DONTWAIT); the wait after it does
    // the timing, as for a non-blocking socket.
    let (a, _b) = UnixStream::pair().unwrap();
    let mut t = Timed::new(a, 1);
    let chunk = [b'x'; 4096];
    let start = Instant::now();
    let e = loop {
        if let Err(e) = t.write(&chunk) {
            break e;
        }
    };
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_deadline_already_past_times_a_write_out() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut t = Timed::new(a, 5);
    t.set_deadline(Some(Instant::now()));
    let e = t.write(b"late").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    t.set_deadline(None);
    t.write_all(b"in time").unwrap();
    let mut buf = [0u8; 16];
    let n = b.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"in time");
}

#[test]
fn writes_to_a_pipe() {
    let (r, w) = nix::unistd::pipe().unwrap();
    let mut t = Timed::new(w, 5);
    t.write_all(b"one ").unwrap();
    t.write_all(b"two").unwrap();
    drop(t);
    let mut got = String::new();
    std::fs::File::from(r).read_to_string(&mut got).unwrap();
    assert_eq!(got, "one two");
}
