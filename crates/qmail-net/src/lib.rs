//! Networking pieces the network programs share: IPv4 addresses in qmail's text forms
//! (`ip`), the host's own addresses (`ipme`), timed I/O on descriptors and timed connects
//! (`timeoutio`), and the fd 0/fd 1 client of a server under tcpserver (`client`).
#![forbid(unsafe_code)]

pub mod client;
pub mod ip;
pub mod ipme;
pub mod timeoutio;
