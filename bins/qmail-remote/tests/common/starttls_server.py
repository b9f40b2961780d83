# A small ESMTP server with STARTTLS (Python's ssl module, OpenSSL), for qmail-remote's
# TLS tests: an independent TLS stack on the other side.
# usage: starttls_server.py PORTFILE LOG CERT KEY MODE CONNECTIONS
# MODE: tls      offer STARTTLS and speak TLS after it
#       strip    never offer STARTTLS (an attacker in the middle removed it); 502 to it
#       garbage  offer STARTTLS, answer 220, then send bytes that are not TLS and close
#       inject   offer STARTTLS, send "220" and a second reply in the same packet
#       size     offer STARTTLS and SIZE 1000
#       auth     offer STARTTLS; inside TLS offer AUTH PLAIN LOGIN (alice, password s3cr|t)
#       authlogin  the same with AUTH LOGIN alone
import base64, os, socket, ssl, sys
portfile, logname, cert, key, mode, count = sys.argv[1:7]

def log(s):
    with open(logname, 'a') as f:
        f.write(s + '\n')

def serve(c):
    f = c.makefile('rb')
    tls = False
    def say(b):
        c.sendall(b)
    say(b'220 tls.test ESMTP\r\n')
    while True:
        line = f.readline()
        if not line:
            log('eof')
            return
        cmd = line.decode('latin-1').rstrip('\r\n')
        log(('[tls] ' if tls else '') + cmd)
        u = cmd.upper()
        if u.startswith('EHLO'):
            ext = [b'250-tls.test', b'250-PIPELINING', b'250-8BITMIME']
            if mode == 'size':
                ext.append(b'250-SIZE 1000')
            if mode != 'strip' and not tls:
                ext.append(b'250-STARTTLS')
            if tls and mode == 'auth':
                ext.append(b'250-AUTH PLAIN LOGIN')
            if tls and mode == 'authlogin':
                ext.append(b'250-AUTH=LOGIN')
            ext.append(b'250 ENHANCEDSTATUSCODES')
            say(b'\r\n'.join(ext) + b'\r\n')
        elif u.startswith('HELO'):
            say(b'250 tls.test\r\n')
        elif u == 'STARTTLS' and mode != 'strip' and not tls:
            if mode == 'garbage':
                say(b'220 go ahead\r\n')
                say(b'this is not TLS at all\r\n' * 10)
                c.close()
                return
            if mode == 'inject':
                say(b'220 go ahead\r\n250 injected\r\n')
                c.close()
                return
            say(b'220 2.0.0 go ahead\r\n')
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            # A client certificate is asked for, checked against the test CA, and logged.
            ctx.load_verify_locations(os.path.join(os.path.dirname(cert), 'ca.pem'))
            ctx.verify_mode = ssl.CERT_OPTIONAL
            try:
                c = ctx.wrap_socket(c, server_side=True)
            except Exception as e:
                log('handshake failed: ' + str(e))
                return
            log('tls ' + c.version() + ' ' + c.cipher()[0])
            peer = c.getpeercert()
            if peer:
                log('client certificate ' + str(peer.get('subjectAltName')))
            f = c.makefile('rb')
            tls = True
        elif u.startswith('AUTH PLAIN ') and tls:
            ok = base64.b64decode(cmd[11:]) == b'\0alice\0s3cr|t'
            log('auth plain ' + ('ok' if ok else 'bad'))
            say(b'235 2.7.0 ok\r\n' if ok else b'535 5.7.8 bad credentials\r\n')
        elif u == 'AUTH LOGIN' and tls:
            say(b'334 VXNlcm5hbWU6\r\n')
            user = base64.b64decode(f.readline().strip())
            say(b'334 UGFzc3dvcmQ6\r\n')
            pw = base64.b64decode(f.readline().strip())
            ok = (user, pw) == (b'alice', b's3cr|t')
            log('auth login ' + ('ok' if ok else 'bad'))
            say(b'235 2.7.0 ok\r\n' if ok else b'535 5.7.8 bad credentials\r\n')
        elif u.startswith('MAIL FROM:'):
            say(b'250 ok\r\n')
        elif u.startswith('RCPT TO:'):
            say(b'250 ok\r\n')
        elif u == 'DATA':
            say(b'354 go ahead\r\n')
            while True:
                l = f.readline()
                if not l or l == b'.\r\n':
                    break
            log('message received')
            say(b'250 ok queued\r\n')
        elif u == 'QUIT':
            say(b'221 bye\r\n')
            return
        else:
            say(b'502 unimplemented\r\n')

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(5)
with open(portfile + '.tmp', 'w') as p:
    p.write(str(s.getsockname()[1]))
os.rename(portfile + '.tmp', portfile)
for _ in range(int(count)):
    c, _ = s.accept()
    try:
        serve(c)
    except Exception as e:
        log('error: ' + str(e))
    try:
        c.close()
    except Exception:
        pass
log('done')
