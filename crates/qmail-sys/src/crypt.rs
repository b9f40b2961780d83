//! crypt(3) from libcrypt (libxcrypt on Debian: yescrypt, SHA-crypt, bcrypt, …), for the
//! checkpassword program that checks system accounts.
use std::ffi::{c_char, CStr};

// musl has crypt in its libc.a (make build links the programs that do not check passwords
// against musl); glibc's is libcrypt.
#[cfg_attr(not(target_env = "musl"), link(name = "crypt"))]
extern "C" {
    fn crypt(phrase: *const c_char, setting: *const c_char) -> *mut c_char;
}

/// The hash of `phrase` with the method and salt of `setting` (a stored hash), or None
/// when libcrypt cannot compute it (an unknown or invalid setting).
pub fn hash(phrase: &CStr, setting: &CStr) -> Option<Vec<u8>> {
    // SAFETY: both arguments are NUL-terminated strings that outlive the call; crypt
    // returns NULL or a pointer to a NUL-terminated string in its static buffer, which
    // is copied out before anything else can call crypt (the caller is single-threaded
    // while it holds the result).
    let p = unsafe { crypt(phrase.as_ptr(), setting.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: p is non-null and points to crypt's NUL-terminated result (see above).
    let out = unsafe { CStr::from_ptr(p) }.to_bytes().to_vec();
    // libxcrypt's failure token starts with '*'; no valid hash does.
    if matches!(out.first(), None | Some(&b'*')) {
        return None;
    }
    Some(out)
}
