//! qmail-newmrh: compile control/morercpthosts. See qmail-newmrh(8).
#![forbid(unsafe_code)]

fn main() {
    qmail_core::fatal::exit(qmail_newmrh::run())
}
