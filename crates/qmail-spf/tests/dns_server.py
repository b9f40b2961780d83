# A DNS server on 127.0.0.1 for the RFC 7208 test suite (rfc7208-tests.yml, from pyspf):
# one UDP and TCP port per scenario, each answering from that scenario's zonedata the way
# the suite's own driver (pyspf's testspf.py) describes it: SPF records double as TXT
# unless the name has TXT records; TIMEOUT entries never answer; CNAMEs come with the
# target's records. Prints the ports and the test cases, then READY, then serves until
# stdin closes. Usage: dns_server.py SUITE.yml [ADDR PORT]
# With ADDR and PORT, the first scenario is served there (port 53 for a resolv.conf).
import select, socket, sys, threading
import yaml
import dns.message, dns.rcode, dns.rdatatype, dns.rdataclass, dns.rdata, dns.rrset, dns.flags, dns.name
import dns.rdtypes.ANY.TXT

def rdata_list(records, name):
    out, txt, gen = [], [], True
    for m in records:
        if m == 'TIMEOUT':
            out.append('TIMEOUT')
            continue
        for t, v in m.items():
            if t in ('TXT', 'SPF') and isinstance(v, str):
                v = [v]
            if t == 'TXT':
                gen = False
            elif t == 'SPF' and gen:
                txt.append(('TXT', v))
            if v != ['NONE']:
                out.append((t, v))
    if gen:
        out.extend(txt)
    return out

def text(t, v):
    if t in ('TXT', 'SPF'):
        parts = []
        for s in v:
            b = s.encode('utf-8')
            parts.extend([b[i:i + 255] for i in range(0, len(b), 255)] or [b''])
        return parts
    if t == 'MX':
        return '%d %s.' % (v[0], v[1].rstrip('.'))
    if t in ('PTR', 'CNAME'):
        return v.rstrip('.') + '.'
    return str(v)

class Zone:
    def __init__(self, data):
        self.z = {d.lower().rstrip('.'): rdata_list(r, d) for d, r in (data or {}).items()}

    def answer(self, qname, qtype, depth=0):
        """None: stay silent. Else (rcode, [(owner, type, text)])."""
        name = qname.lower().rstrip('.')
        if name not in self.z:
            if name.startswith('error.'):
                return (dns.rcode.SERVFAIL, [])
            return (dns.rcode.NXDOMAIN, [])
        out = []
        for e in self.z[name]:
            if e == 'TIMEOUT':
                if not out:
                    return None
                break
            t, v = e
            if v == 'TIMEOUT' or v == ['TIMEOUT']:
                if t == qtype:
                    return None
                continue
            if t == qtype or (t == 'SPF' and qtype == 'SPF'):
                out.append((name, t, text(t, v)))
            elif t == 'CNAME' and depth == 0:
                out.append((name, t, text(t, v)))
                sub = self.answer(v, qtype, 1)
                if sub is None:
                    return None
                out.extend(sub[1])
        return (dns.rcode.NOERROR, out)

def respond(zone, wire, tcp):
    try:
        q = dns.message.from_wire(wire)
    except Exception:
        return None
    r = dns.message.make_response(q)
    r.flags |= dns.flags.RA
    question = q.question[0]
    # The labels as they are (a name may hold spaces or '%' after macro expansion).
    qname = b'.'.join(question.name.labels[:-1]).decode('latin-1')
    a = zone.answer(qname, dns.rdatatype.to_text(question.rdtype))
    if a is None:
        return None
    rcode, records = a
    r.set_rcode(rcode)
    for owner, t, data in records:
        rtype = dns.rdatatype.from_text(t)
        if t in ('TXT', 'SPF'):
            rd = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rtype, data)
        else:
            rd = dns.rdata.from_text(dns.rdataclass.IN, rtype, data)
        labels = [l.encode('latin-1') for l in owner.split('.')] + [b'']
        rrset = r.find_rrset(r.answer, dns.name.Name(labels), dns.rdataclass.IN,
                             rtype, create=True)
        rrset.add(rd, 60)
    try:
        return r.to_wire(max_size=65535 if tcp else 512)
    except dns.exception.TooBig:
        r.answer = []
        r.flags |= dns.flags.TC
        return r.to_wire()

def serve_tcp(zone, conn):
    try:
        conn.settimeout(5)
        n = int.from_bytes(conn.recv(2), 'big')
        data = b''
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return
            data += chunk
        out = respond(zone, data, True)
        if out is not None:
            conn.sendall(len(out).to_bytes(2, 'big') + out)
    except Exception:
        pass
    finally:
        conn.close()

def main():
    scenarios = list(yaml.safe_load_all(open(sys.argv[1], 'rb')))
    socks = {}
    addr, fixed = ('127.0.0.1', 0) if len(sys.argv) < 4 else (sys.argv[2], int(sys.argv[3]))
    if fixed:
        scenarios = scenarios[:1]
    for i, s in enumerate(scenarios):
        zone = Zone(s.get('zonedata'))
        # The UDP port the kernel picks may be taken for TCP (by another test running
        # at the same time): then another pair is tried.
        for attempt in range(100):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((addr, fixed))
            port = u.getsockname()[1]
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                t.bind((addr, port))
                break
            except OSError:
                u.close()
                t.close()
                if fixed or attempt == 99:
                    raise
        t.listen(16)
        socks[u] = (zone, 'udp')
        socks[t] = (zone, 'tcp')
        print('S\t%d\t%d' % (i, port))
        for name, c in (s.get('tests') or {}).items():
            res = c['result']
            if isinstance(res, str):
                res = [res]
            exp = c.get('explanation')
            print('T\t%d\t%s\t%s\t%s\t%s\t%s\t%s' % (
                i, name, c['host'], c.get('mailfrom', ''), c.get('helo', ''),
                ','.join(res), '-' if exp is None else exp))
    print('READY', flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), socket.socket().close(), __import__('os')._exit(0)),
                     daemon=True).start()
    while True:
        ready, _, _ = select.select(list(socks), [], [])
        for s in ready:
            zone, kind = socks[s]
            if kind == 'udp':
                data, peer = s.recvfrom(4096)
                try:
                    out = respond(zone, data, False)
                except Exception as e:
                    print('dns_server: %r' % e, file=sys.stderr)
                    out = None
                if out is not None:
                    s.sendto(out, peer)
            else:
                conn, _ = s.accept()
                threading.Thread(target=serve_tcp, args=(zone, conn), daemon=True).start()

main()
