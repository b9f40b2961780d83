#![forbid(unsafe_code)]

fn main() {
    let code = match maildirwatch::run() {
        Ok(code) => code,
        Err(e) => e.report(),
    };
    std::process::exit(i32::from(code));
}
