# Signs test messages with dkimpy (Debian python3-dkim), an implementation independent of
# qmail-rs, for tests/verify_dkimpy.rs. Usage: dkimpy_sign.py DIR
# Writes DIR/keys (name TAB record lines) and DIR/NAME.eml (signed, LF line ends) with
# DIR/NAME.how (what was asked of dkimpy).
import base64, os, subprocess, sys
import dkim, nacl.signing

out = sys.argv[1]

def openssl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, check=True,
                          capture_output=True).stdout

keys = {}
records = []
for bits in (1024, 2048):
    pem = openssl("genrsa", "-traditional", str(bits))
    der = openssl("rsa", "-pubout", "-outform", "DER", data=pem)
    sel = b"rsa%d" % bits
    keys[sel] = pem
    records.append((sel + b"._domainkey.example.com",
                    b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)))
sk = nacl.signing.SigningKey.generate()
keys[b"ed"] = base64.b64encode(bytes(sk))
records.append((b"ed._domainkey.example.com",
                b"v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(sk.verify_key))))
with open(os.path.join(out, "keys"), "wb") as f:
    for n, r in records:
        f.write(n + b"\t" + r + b"\n")

MESSAGES = {
    "plain": b"From: Joe <joe@example.com>\r\nTo: a@b.example\r\nSubject: plain\r\n\r\nhello\r\n",
    "folded": b"From: Joe <joe@example.com>\r\nTo: a@b.example,\r\n  c@d.example\r\nSubject: folded\r\n\t subject  with   spaces \r\nDate: Fri, 4 Dec 2026 16:00:00 +0000\r\n\r\nbody  with  spaces \t\r\n\r\n\r\n",
    "8bit": "From: Jos\u00e9 <jose@example.com>\r\nTo: a@b.example\r\nSubject: 8-bit \u00fcml\u00e4uts\r\n\r\nk\u00e4se\r\n".encode("utf-8"),
    "empty": b"From: joe@example.com\r\nSubject: empty body\r\n\r\n",
}

for sel in (b"rsa1024", b"rsa2048", b"ed"):
    alg = b"ed25519-sha256" if sel == b"ed" else b"rsa-sha256"
    for mname, msg in MESSAGES.items():
        for canon in ((b"relaxed", b"relaxed"), (b"simple", b"simple"),
                      (b"relaxed", b"simple"), (b"simple", b"relaxed")):
            for length in (False, True):
                sig = dkim.sign(msg, sel, b"example.com", keys[sel],
                                canonicalize=canon, signature_algorithm=alg,
                                include_headers=[b"from", b"to", b"subject", b"date"],
                                length=length)
                name = "%s-%s-%s-%s%s" % (sel.decode(), mname, canon[0].decode(),
                                          canon[1].decode(), "-l" if length else "")
                with open(os.path.join(out, name + ".eml"), "wb") as f:
                    f.write((sig + msg).replace(b"\r\n", b"\n"))
