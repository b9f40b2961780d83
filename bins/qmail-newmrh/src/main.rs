//! qmail-newmrh: compile control/morercpthosts. See qmail-newmrh(8).
#![forbid(unsafe_code)]

fn main() {
    let code = match qmail_newmrh::run() {
        Ok(()) => 0,
        Err(e) => qmail_newmrh::report(&e),
    };
    std::process::exit(i32::from(code));
}
