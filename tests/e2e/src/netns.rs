//! Test hosts in network namespaces: `ip` that fails the test on error, a bridge in one
//! namespace, and a host namespace joined to it by a veth pair.
use std::process::Command;

/// `ip ARGS`; the test fails with ip's message if it does.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bridge `br0` in namespace `ns`, with address `addr` (`a.b.c.d/len`), up.
pub fn bridge(ns: &str, addr: &str) {
    ip(&["-n", ns, "link", "add", "br0", "type", "bridge"]);
    ip(&["-n", ns, "addr", "add", addr, "dev", "br0"]);
    ip(&["-n", ns, "link", "set", "br0", "up"]);
}

/// Namespace `ns` gets `eth0` with address `addr`, whose peer `peer` is a port of
/// `bridge_ns`'s br0.
pub fn attach(bridge_ns: &str, ns: &str, peer: &str, addr: &str) {
    ip(&[
        "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", bridge_ns,
    ]);
    ip(&["-n", bridge_ns, "link", "set", peer, "master", "br0"]);
    ip(&["-n", bridge_ns, "link", "set", peer, "up"]);
    ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"]);
    ip(&["-n", ns, "link", "set", "eth0", "up"]);
}
