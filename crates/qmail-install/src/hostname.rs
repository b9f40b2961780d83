//! This machine's fully qualified name, for the first configuration: `hostname -f` when it
//! answers, else gethostname().
use std::process::Command;

fn plausible(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic())
}

pub fn fqdn() -> Option<String> {
    if let Ok(o) = Command::new("hostname").arg("-f").output() {
        if o.status.success() {
            let name = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if plausible(&name) {
                return Some(name);
            }
        }
    }
    let name = nix::unistd::gethostname().ok()?.into_string().ok()?;
    plausible(&name).then_some(name)
}
