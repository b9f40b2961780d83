#!/usr/bin/python3
# A checkpassword program for the tests (the interface of cr.yp.to/checkpwd/interface.html):
# reads "user\0password\0timestamp\0" on descriptor 3, accepts CP_USER with CP_PASS (or the
# APOP digest md5(timestamp + CP_PASS)), logs what it got to CP_LOG, then becomes CP_UID
# with setpriv in CP_HOME and runs the rest of its arguments. CP_MODE=crash kills itself,
# CP_MODE=root runs the program without changing user.
import hashlib
import os
import sys

data = b""
while True:
    chunk = os.read(3, 4096)
    if not chunk:
        break
    data += chunk
os.close(3)
fields = data.split(b"\0")
user, password, stamp = (fields + [b"", b"", b""])[:3]
env = os.environb
with open(env[b"CP_LOG"], "ab") as log:
    log.write(b"fields=%d user=%s stamp=%s\n" % (len(fields), user, stamp))
digest = hashlib.md5(stamp + env[b"CP_PASS"]).hexdigest().encode()
if user != env[b"CP_USER"] or password not in (env[b"CP_PASS"], digest):
    sys.exit(1)
mode = env.get(b"CP_MODE", b"")
if mode == b"crash":
    os.kill(os.getpid(), 9)
os.chdir(env[b"CP_HOME"])
os.environb[b"USER"] = user
os.environb[b"HOME"] = env[b"CP_HOME"]
if mode == b"root":
    os.execvp(sys.argv[1], sys.argv[1:])
uid = env[b"CP_UID"].decode()
os.execvp("setpriv", ["setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"] + sys.argv[1:])
