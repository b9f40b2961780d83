//! Domain names: kept in uncompressed wire form (length-prefixed labels ending in the root
//! label), converted from and to the presentation form with `\.`, `\\` and `\DDD` escapes
//! (as `dn_expand` prints them), and decoded from packets with compression pointers.

/// RFC 1035 §2.3.4: a label is at most 63 bytes, a whole name at most 255 in wire form.
pub const LABEL_MAX: usize = 63;
pub const NAME_MAX: usize = 255;
/// Compression pointers followed for one name. Pointers must also go strictly backwards
/// (see `decode`), so this is only a second fence.
const HOPS_MAX: usize = 127;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty label")]
    EmptyLabel,
    #[error("label longer than 63 bytes")]
    LongLabel,
    #[error("name longer than 255 bytes")]
    LongName,
    #[error("bad escape")]
    BadEscape,
    #[error("name runs past the end of the packet")]
    Truncated,
    #[error("compression pointer does not point backwards")]
    BadPointer,
    #[error("unknown label type")]
    LabelType,
}

/// A domain name in wire form, without compression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    wire: Vec<u8>,
}

impl Name {
    /// The root name.
    pub fn root() -> Name {
        Name { wire: vec![0] }
    }

    /// Parse the presentation form. One trailing dot is allowed (the name is absolute
    /// either way: no search list is ever applied). `.` alone is the root.
    pub fn from_text(text: &[u8]) -> Result<Name, NameError> {
        if text == b"." {
            return Ok(Name::root());
        }
        let mut wire = Vec::with_capacity(text.len().saturating_add(2));
        let mut label: Vec<u8> = Vec::new();
        let mut i = 0usize;
        let mut ended_with_dot = false;
        while let Some(&b) = text.get(i) {
            i = i.saturating_add(1);
            ended_with_dot = false;
            match b {
                b'.' => {
                    push_label(&mut wire, &label)?;
                    label.clear();
                    ended_with_dot = true;
                }
                b'\\' => {
                    let c = *text.get(i).ok_or(NameError::BadEscape)?;
                    if c.is_ascii_digit() {
                        let d = text
                            .get(i..i.saturating_add(3))
                            .ok_or(NameError::BadEscape)?;
                        let mut v: u32 = 0;
                        for &x in d {
                            if !x.is_ascii_digit() {
                                return Err(NameError::BadEscape);
                            }
                            v = v * 10 + u32::from(x - b'0');
                        }
                        label.push(u8::try_from(v).map_err(|_| NameError::BadEscape)?);
                        i = i.saturating_add(3);
                    } else {
                        label.push(c);
                        i = i.saturating_add(1);
                    }
                }
                _ => label.push(b),
            }
        }
        if !ended_with_dot {
            push_label(&mut wire, &label)?;
        }
        if wire.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        wire.push(0);
        if wire.len() > NAME_MAX {
            return Err(NameError::LongName);
        }
        Ok(Name { wire })
    }

    /// The uncompressed wire form, root label included.
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// The labels, outermost last.
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: &self.wire }
    }

    /// The presentation form without a trailing dot (`.` for the root). Dots and
    /// backslashes inside labels are escaped, bytes outside `!`..`~` become `\DDD`.
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire.len());
        for label in self.labels() {
            if !out.is_empty() {
                out.push(b'.');
            }
            for &b in label {
                match b {
                    b'.' | b'\\' => {
                        out.push(b'\\');
                        out.push(b);
                    }
                    0x21..=0x7e => out.push(b),
                    _ => {
                        out.push(b'\\');
                        out.push(b'0' + b / 100);
                        out.push(b'0' + (b / 10) % 10);
                        out.push(b'0' + b % 10);
                    }
                }
            }
        }
        if out.is_empty() {
            out.push(b'.');
        }
        out
    }

    /// DNS names compare ASCII case-insensitively (RFC 4343). Length bytes are ≤ 63 and
    /// so never letters; folding the whole wire form is exact.
    pub fn eq_ignore_case(&self, other: &Name) -> bool {
        self.wire.eq_ignore_ascii_case(&other.wire)
    }

    /// The name for reverse lookups of an address (`in-addr.arpa` / `ip6.arpa`).
    pub fn reverse(ip: std::net::IpAddr) -> Name {
        let mut text = Vec::new();
        match ip {
            std::net::IpAddr::V4(a) => {
                for o in a.octets().iter().rev() {
                    text.extend_from_slice(o.to_string().as_bytes());
                    text.push(b'.');
                }
                text.extend_from_slice(b"in-addr.arpa");
            }
            std::net::IpAddr::V6(a) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for o in a.octets().iter().rev() {
                    for nib in [o & 15, o >> 4] {
                        text.push(HEX.get(usize::from(nib)).copied().unwrap_or(b'0'));
                        text.push(b'.');
                    }
                }
                text.extend_from_slice(b"ip6.arpa");
            }
        }
        // Built from digits and dots only: always a valid name.
        Name::from_text(&text).unwrap_or_else(|_| Name::root())
    }

    /// Decode a (possibly compressed) name starting at `start` in `pkt`. Returns the
    /// name and the offset just after it in the original position.
    ///
    /// Every compression pointer must point strictly before the place the previous one
    /// pointed to (before `start` for the first one), so the targets decrease and the
    /// walk ends: loops, self-pointers and forward pointers are errors.
    pub fn decode(pkt: &[u8], start: usize) -> Result<(Name, usize), NameError> {
        let mut wire = Vec::new();
        let mut pos = start;
        let mut limit = start;
        let mut after: Option<usize> = None;
        let mut hops = 0usize;
        loop {
            let len = *pkt.get(pos).ok_or(NameError::Truncated)?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    wire.push(0);
                    if wire.len() > NAME_MAX {
                        return Err(NameError::LongName);
                    }
                    let end = after.unwrap_or(pos.saturating_add(1));
                    return Ok((Name { wire }, end));
                }
                0x00 => {
                    let from = pos.saturating_add(1);
                    let to = from.saturating_add(usize::from(len));
                    let label = pkt.get(from..to).ok_or(NameError::Truncated)?;
                    // +1 for the root label still to come.
                    if wire.len().saturating_add(label.len()).saturating_add(2) > NAME_MAX {
                        return Err(NameError::LongName);
                    }
                    wire.push(len);
                    wire.extend_from_slice(label);
                    pos = to;
                }
                0xc0 => {
                    let lo = *pkt.get(pos.saturating_add(1)).ok_or(NameError::Truncated)?;
                    let target = (usize::from(len & 0x3f) << 8) | usize::from(lo);
                    if target >= limit {
                        return Err(NameError::BadPointer);
                    }
                    hops = hops.saturating_add(1);
                    if hops > HOPS_MAX {
                        return Err(NameError::BadPointer);
                    }
                    if after.is_none() {
                        after = Some(pos.saturating_add(2));
                    }
                    limit = target;
                    pos = target;
                }
                _ => return Err(NameError::LabelType),
            }
        }
    }
}

fn push_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError::EmptyLabel);
    }
    let len = u8::try_from(label.len()).map_err(|_| NameError::LongLabel)?;
    if usize::from(len) > LABEL_MAX {
        return Err(NameError::LongLabel);
    }
    wire.push(len);
    wire.extend_from_slice(label);
    if wire.len() >= NAME_MAX {
        return Err(NameError::LongName);
    }
    Ok(())
}

/// Iterator over the labels of a wire-form name.
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        if len == 0 {
            return None;
        }
        let label = tail.get(..usize::from(len))?;
        self.rest = tail.get(usize::from(len)..)?;
        Some(label)
    }
}

#[cfg(test)]
mod tests;
