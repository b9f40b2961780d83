#!/usr/bin/python3
"""powerfs: a FUSE file system that models what survives a power loss on ext4 data=ordered.

The tree lives in memory twice: as the running system sees it, and as the disk would hold
it after a power cut at this instant. Writes and metadata operations change the first at
once; only these make anything durable (ext4 data=ordered, the default mode, with delayed
allocation; Documentation/filesystems/ext4.rst, "data=ordered", and fsync(2)):

* fsync(file) (or fdatasync): that file's bytes become durable, and the journal commits:
  every metadata operation of the whole file system made before it (create, mknod, mkdir,
  link, rename, unlink, rmdir, chmod, chown, utimes, truncate) becomes durable, in order.
  On ext4 there is one running jbd2 transaction; fsync forces it (and so all earlier
  metadata changes) to commit.
* fsync(directory) commits the journal in the same way.
* Nothing else: no periodic commit, no writeback. Bytes of a file never fsynced are lost
  even when its name survives (it is then empty, or holds what its last fsync made
  durable, cut to its committed truncations): the zero-length files of delayed
  allocation. ext4's auto_da_alloc rescue of rename-over-and-truncate is not modelled.
  Where ext4 might keep more, the model keeps less: a stricter test.

Crash: `mkdir MOUNT/.powerloss-crash` freezes the file system (every later operation
fails with EIO, as after the power is cut) and writes the durable state to --dump. A new
instance started with --load serves that state, inode numbers and all, as the machine
would see it after the reboot.

--skip-fsync PREFIX:N makes the Nth fsync of a file that has a name under PREFIX (a path
from the root of this file system) a no-op: a model of a program that forgets one
fsync, to show that the test catches it.

Usage: powerfs.py MOUNT (--seed NAME=DIR ... | --load STATE) --dump STATE [--skip-fsync P:N]
"""
import argparse
import ctypes
import errno
import os
import pickle
import stat
import sys
import time

import signal

import llfuse
from llfuse import FUSEError

CRASH = b".powerloss-crash"
DIR, REG, FIFO, LNK = "d", "f", "p", "l"


class Node:
    __slots__ = ("kind", "mode", "uid", "gid", "rdev", "atime", "mtime", "ctime",
                 "entries", "data", "target", "nlink", "opens", "minsize")

    def __init__(self, kind, mode, uid, gid, rdev=0, now=None):
        now = time.time_ns() if now is None else now
        self.kind, self.mode, self.uid, self.gid, self.rdev = kind, mode, uid, gid, rdev
        self.atime = self.mtime = self.ctime = now
        self.entries = {} if kind == DIR else None
        self.data = bytearray() if kind == REG else None
        self.target = b""
        self.nlink = 0
        self.opens = 0
        # The smallest size since the last commit: a truncation between commits.
        self.minsize = 0

    def meta(self):
        """What a journal commit makes durable of this inode (not the file's bytes)."""
        return (self.kind, self.mode, self.uid, self.gid, self.rdev, self.atime,
                self.mtime, self.ctime, dict(self.entries) if self.kind == DIR else None,
                self.target)


def log(*a):
    print("powerfs:", *a, file=sys.stderr, flush=True)


class PowerFs(llfuse.Operations):
    def __init__(self, args):
        super().__init__()
        self.dump_path = args.dump
        self.nodes = {}
        self.next_ino = llfuse.ROOT_INODE + 1
        self.fhs = {}
        self.next_fh = 1
        self.frozen = False
        self.stats = {"fsync": 0, "commit": 0, "skipped": 0}
        self.skip = None
        if args.skip_fsync:
            prefix, n = args.skip_fsync.rsplit(":", 1)
            self.skip = [prefix.encode().rstrip(b"/") + b"/", int(n)]
        if args.load:
            self.load(args.load)
        else:
            root = Node(DIR, stat.S_IFDIR | 0o755, 0, 0)
            self.nodes[llfuse.ROOT_INODE] = root
            for spec in args.seed:
                name, path = spec.split("=", 1)
                self.seed(llfuse.ROOT_INODE, name.encode(), path, {})
        self.recount()
        # Durable state: the metadata of the last commit, the bytes of the last fsyncs.
        self.dmeta = {}
        self.ddata = {}
        self.commit()
        for ino, n in self.nodes.items():
            if n.kind == REG:
                self.ddata[ino] = bytes(n.data)

    # ---- building the tree

    def new_ino(self):
        ino = self.next_ino
        self.next_ino += 1
        return ino

    def seed(self, parent, name, path, seen):
        st = os.lstat(path)
        key = (st.st_dev, st.st_ino)
        if key in seen:
            self.nodes[parent].entries[name] = seen[key]
            return
        fmt = stat.S_IFMT(st.st_mode)
        kind = {stat.S_IFDIR: DIR, stat.S_IFREG: REG, stat.S_IFIFO: FIFO,
                stat.S_IFLNK: LNK}.get(fmt)
        if kind is None:
            return
        n = Node(kind, st.st_mode, st.st_uid, st.st_gid)
        n.atime, n.mtime, n.ctime = st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns
        ino = self.new_ino()
        self.nodes[ino] = n
        self.nodes[parent].entries[name] = ino
        seen[key] = ino
        if kind == REG:
            with open(path, "rb") as f:
                n.data = bytearray(f.read())
        elif kind == LNK:
            n.target = os.fsencode(os.readlink(path))
        elif kind == DIR:
            for e in sorted(os.listdir(path)):
                self.seed(ino, os.fsencode(e), os.path.join(path, e), seen)

    def recount(self):
        for n in self.nodes.values():
            n.nlink = 0
        for n in self.nodes.values():
            if n.kind == DIR:
                n.nlink += 2
                for ino in n.entries.values():
                    c = self.nodes[ino]
                    c.nlink += 1 if c.kind != DIR else 0
                    if c.kind == DIR:
                        n.nlink += 1

    def load(self, path):
        with open(path, "rb") as f:
            state = pickle.load(f)
        self.next_ino = state["next_ino"]
        for ino, (meta, data) in state["nodes"].items():
            kind, mode, uid, gid, rdev, at, mt, ct, entries, target = meta
            n = Node(kind, mode, uid, gid, rdev)
            n.atime, n.mtime, n.ctime = at, mt, ct
            n.entries = entries
            n.target = target
            if kind == REG:
                n.data = bytearray(data)
            self.nodes[ino] = n

    # ---- durability

    def commit(self):
        """A journal commit: every metadata change so far becomes durable, in order."""
        self.stats["commit"] += 1
        self.dmeta = {ino: n.meta() for ino, n in self.nodes.items() if n.nlink > 0}
        # A committed truncation cuts what earlier fsyncs made durable.
        for ino, d in list(self.ddata.items()):
            n = self.nodes.get(ino)
            if n is None or n.nlink == 0:
                del self.ddata[ino]
            elif n.minsize < len(d):
                self.ddata[ino] = d[:n.minsize]
        for n in self.nodes.values():
            if n.kind == REG:
                n.minsize = len(n.data)

    def paths_of(self, target, ino=llfuse.ROOT_INODE, prefix=b"/"):
        n = self.nodes[ino]
        for name, child in n.entries.items():
            p = prefix + name
            if child == target:
                yield p
            if self.nodes[child].kind == DIR:
                yield from self.paths_of(target, child, p + b"/")

    def durable_state(self):
        out = {}
        todo = [llfuse.ROOT_INODE]
        while todo:
            ino = todo.pop()
            if ino in out or ino not in self.dmeta:
                continue
            meta = self.dmeta[ino]
            data = None
            if meta[0] == REG:
                data = self.ddata.get(ino, b"")
            out[ino] = (meta, data)
            if meta[0] == DIR:
                todo.extend(meta[8].values())
        # Entries whose inode did not survive (cannot happen with whole commits; kept safe).
        for ino, (meta, _) in out.items():
            if meta[0] == DIR:
                for name in [k for k, v in meta[8].items() if v not in out]:
                    del meta[8][name]
        return {"next_ino": self.next_ino, "nodes": out}

    def crash(self):
        self.frozen = True
        state = self.durable_state()
        tmp = self.dump_path + ".tmp"
        with open(tmp, "wb") as f:
            pickle.dump(state, f)
        os.rename(tmp, self.dump_path)
        log("power cut: %d fsyncs (%d ignored), %d journal commits, %d inodes survive"
            % (self.stats["fsync"], self.stats["skipped"], self.stats["commit"],
               len(state["nodes"])))

    # ---- helpers

    def live(self):
        if self.frozen:
            raise FUSEError(errno.EIO)

    def node(self, ino):
        n = self.nodes.get(ino)
        if n is None:
            raise FUSEError(errno.ENOENT)
        return n

    def attr(self, ino):
        n = self.node(ino)
        a = llfuse.EntryAttributes()
        a.st_ino = ino
        a.generation = 0
        a.entry_timeout = 0
        a.attr_timeout = 0
        a.st_mode = n.mode
        a.st_nlink = n.nlink
        a.st_uid = n.uid
        a.st_gid = n.gid
        a.st_rdev = n.rdev
        size = {REG: len(n.data or b""), LNK: len(n.target), DIR: 4096}.get(n.kind, 0)
        a.st_size = size
        a.st_blksize = 4096
        a.st_blocks = (size + 511) // 512
        a.st_atime_ns, a.st_mtime_ns, a.st_ctime_ns = n.atime, n.mtime, n.ctime
        return a

    def dir(self, ino):
        n = self.node(ino)
        if n.kind != DIR:
            raise FUSEError(errno.ENOTDIR)
        return n

    def touch(self, n, m=True):
        now = time.time_ns()
        n.ctime = now
        if m:
            n.mtime = now

    def make(self, parent, name, kind, mode, ctx, rdev=0):
        self.live()
        d = self.dir(parent)
        if name in d.entries:
            raise FUSEError(errno.EEXIST)
        gid = d.gid if d.mode & stat.S_ISGID else ctx.gid
        if kind == DIR and d.mode & stat.S_ISGID:
            mode |= stat.S_ISGID
        n = Node(kind, mode & ~ctx.umask if ctx.umask else mode, ctx.uid, gid, rdev)
        ino = self.new_ino()
        self.nodes[ino] = n
        d.entries[name] = ino
        n.nlink = 2 if kind == DIR else 1
        if kind == DIR:
            d.nlink += 1
        self.touch(d)
        return ino, n

    def drop_name(self, d, name):
        ino = d.entries.pop(name)
        n = self.nodes[ino]
        if n.kind == DIR:
            n.nlink = 0
            d.nlink -= 1
        else:
            n.nlink -= 1
            n.ctime = time.time_ns()
        self.gc(ino)

    def gc(self, ino):
        n = self.nodes.get(ino)
        if n is not None and n.nlink == 0 and n.opens == 0:
            del self.nodes[ino]

    # ---- operations

    def lookup(self, parent, name, ctx):
        self.live()
        d = self.dir(parent)
        if name == b".":
            return self.attr(parent)
        ino = d.entries.get(name)
        if ino is None:
            raise FUSEError(errno.ENOENT)
        return self.attr(ino)

    def getattr(self, ino, ctx):
        self.live()
        return self.attr(ino)

    def setattr(self, ino, attr, fields, fh, ctx):
        self.live()
        n = self.node(ino)
        if fields.update_size:
            if n.kind != REG:
                raise FUSEError(errno.EINVAL)
            size = attr.st_size
            if size < len(n.data):
                del n.data[size:]
                n.minsize = min(n.minsize, size)
            else:
                n.data.extend(b"\0" * (size - len(n.data)))
            n.mtime = time.time_ns()
        if fields.update_mode:
            n.mode = stat.S_IFMT(n.mode) | stat.S_IMODE(attr.st_mode)
        if fields.update_uid:
            n.uid = attr.st_uid
        if fields.update_gid:
            n.gid = attr.st_gid
        if fields.update_atime:
            n.atime = attr.st_atime_ns
        if fields.update_mtime:
            n.mtime = attr.st_mtime_ns
        n.ctime = time.time_ns()
        return self.attr(ino)

    def readlink(self, ino, ctx):
        self.live()
        return self.node(ino).target

    def mknod(self, parent, name, mode, rdev, ctx):
        kind = FIFO if stat.S_ISFIFO(mode) else (REG if stat.S_ISREG(mode) else None)
        if kind is None:
            raise FUSEError(errno.EPERM)
        ino, _ = self.make(parent, name, kind, mode, ctx, rdev)
        return self.attr(ino)

    def mkdir(self, parent, name, mode, ctx):
        if parent == llfuse.ROOT_INODE and name == CRASH:
            if not self.frozen:
                self.crash()
            raise FUSEError(errno.EROFS)
        ino, _ = self.make(parent, name, DIR, stat.S_IFDIR | stat.S_IMODE(mode), ctx)
        return self.attr(ino)

    def symlink(self, parent, name, target, ctx):
        ino, n = self.make(parent, name, LNK, stat.S_IFLNK | 0o777, ctx)
        n.target = target
        return self.attr(ino)

    def unlink(self, parent, name, ctx):
        self.live()
        d = self.dir(parent)
        ino = d.entries.get(name)
        if ino is None:
            raise FUSEError(errno.ENOENT)
        if self.nodes[ino].kind == DIR:
            raise FUSEError(errno.EISDIR)
        self.drop_name(d, name)
        self.touch(d)

    def rmdir(self, parent, name, ctx):
        self.live()
        d = self.dir(parent)
        ino = d.entries.get(name)
        if ino is None:
            raise FUSEError(errno.ENOENT)
        n = self.nodes[ino]
        if n.kind != DIR:
            raise FUSEError(errno.ENOTDIR)
        if n.entries:
            raise FUSEError(errno.ENOTEMPTY)
        self.drop_name(d, name)
        self.touch(d)

    def rename(self, p_old, name_old, p_new, name_new, ctx):
        self.live()
        src, dst = self.dir(p_old), self.dir(p_new)
        ino = src.entries.get(name_old)
        if ino is None:
            raise FUSEError(errno.ENOENT)
        n = self.nodes[ino]
        old = dst.entries.get(name_new)
        if old == ino:
            return
        if old is not None:
            o = self.nodes[old]
            if n.kind == DIR and o.kind != DIR:
                raise FUSEError(errno.ENOTDIR)
            if n.kind != DIR and o.kind == DIR:
                raise FUSEError(errno.EISDIR)
            if o.kind == DIR and o.entries:
                raise FUSEError(errno.ENOTEMPTY)
            self.drop_name(dst, name_new)
        del src.entries[name_old]
        dst.entries[name_new] = ino
        if n.kind == DIR:
            src.nlink -= 1
            dst.nlink += 1
        self.touch(src)
        self.touch(dst)
        self.touch(n, m=False)

    def link(self, ino, p_new, name_new, ctx):
        self.live()
        d = self.dir(p_new)
        n = self.node(ino)
        if n.kind == DIR:
            raise FUSEError(errno.EPERM)
        if name_new in d.entries:
            raise FUSEError(errno.EEXIST)
        d.entries[name_new] = ino
        n.nlink += 1
        self.touch(n, m=False)
        self.touch(d)
        return self.attr(ino)

    def open(self, ino, flags, ctx):
        self.live()
        n = self.node(ino)
        fh = self.next_fh
        self.next_fh += 1
        self.fhs[fh] = (ino, bool(flags & os.O_APPEND))
        n.opens += 1
        return fh

    def create(self, parent, name, mode, flags, ctx):
        ino, _ = self.make(parent, name, REG, stat.S_IFREG | stat.S_IMODE(mode), ctx)
        fh = self.open(ino, flags, ctx)
        return fh, self.attr(ino)

    def read(self, fh, off, size):
        self.live()
        ino, _ = self.fhs[fh]
        return bytes(self.node(ino).data[off:off + size])

    def write(self, fh, off, buf):
        self.live()
        ino, append = self.fhs[fh]
        n = self.node(ino)
        if append:
            off = len(n.data)
        if off > len(n.data):
            n.data.extend(b"\0" * (off - len(n.data)))
        n.data[off:off + len(buf)] = buf
        self.touch(n)
        return len(buf)

    def flush(self, fh):
        self.live()

    def release(self, fh):
        ino, _ = self.fhs.pop(fh)
        n = self.nodes.get(ino)
        if n is not None:
            n.opens -= 1
            self.gc(ino)

    def fsync(self, fh, datasync):
        self.live()
        ino, _ = self.fhs[fh]
        n = self.node(ino)
        self.stats["fsync"] += 1
        if self.skip is not None and self.skip[1] > 0:
            if any(p.startswith(self.skip[0]) for p in self.paths_of(ino)):
                self.skip[1] -= 1
                if self.skip[1] == 0:
                    self.stats["skipped"] += 1
                    log("ignoring an fsync of",
                        b" ".join(self.paths_of(ino)).decode(errors="replace"))
                    return
        self.ddata[ino] = bytes(n.data)
        n.minsize = len(n.data)
        self.commit()

    def opendir(self, ino, ctx):
        self.live()
        d = self.dir(ino)
        fh = self.next_fh
        self.next_fh += 1
        self.fhs[fh] = (ino, sorted(d.entries.items()))
        return fh

    def readdir(self, fh, off):
        self.live()
        _, entries = self.fhs[fh]
        for i in range(off, len(entries)):
            name, ino = entries[i]
            if ino in self.nodes:
                yield (name, self.attr(ino), i + 1)

    def releasedir(self, fh):
        self.fhs.pop(fh, None)

    def fsyncdir(self, fh, datasync):
        self.live()
        self.stats["fsync"] += 1
        self.commit()

    def statfs(self, ctx):
        self.live()
        s = llfuse.StatvfsData()
        s.f_bsize = s.f_frsize = 4096
        s.f_blocks = s.f_bfree = s.f_bavail = 1 << 20
        s.f_files = s.f_ffree = s.f_favail = 1 << 20
        s.f_namemax = 255
        return s

    def access(self, ino, mode, ctx):
        self.live()
        return True

    def forget(self, inode_list):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mountpoint")
    ap.add_argument("--seed", action="append", default=[])
    ap.add_argument("--load")
    ap.add_argument("--dump", required=True)
    ap.add_argument("--skip-fsync")
    ap.add_argument("--ready", required=True, help="file to create once mounted")
    args = ap.parse_args()
    # If the test dies, SIGTERM ends the main loop and the file system is unmounted.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    ops = PowerFs(args)
    opts = set(llfuse.default_options)
    opts.add("allow_other")
    opts.add("fsname=powerfs")
    opts.add("subtype=powerfs")
    llfuse.init(ops, args.mountpoint, opts)
    open(args.ready, "w").close()
    try:
        llfuse.main(workers=1)
    finally:
        llfuse.close(unmount=True)


if __name__ == "__main__":
    main()
