#!/bin/sh
# Regenerates upload.pcap: real curl uploads to a small Python HTTP server on 127.0.0.1, captured with
# tcpdump on the loopback interface (snap length 0: whole packets). Needs root for tcpdump. The files are
# synthetic (seeded pseudo-random bytes with a JPEG/PNG signature); their MD5/SHA-1 are in files.sha1/md5.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $srv $dump 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import random, sys
d = sys.argv[1]
for name, size, magic in [("a.jpg", 70000, b"\xff\xd8\xff\xe0"), ("b.png", 33000, b"\x89PNG\r\n\x1a\n"),
                          ("c.jpg", 120000, b"\xff\xd8\xff\xe1"), ("d.bin", 5000, b"")]:
    r = random.Random(name)
    open(f"{d}/{name}", "wb").write(magic + bytes(r.getrandbits(8) for _ in range(size - len(magic))))
PY
cat > "$work/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(n + 2) if n else self.rfile.readline()
                if n == 0: break
        else:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    do_POST = do_PUT = body
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/server.py" 18080 & srv=$!
tcpdump -i lo -s 0 -w "$work/upload.pcap" -U 'tcp port 18080' 2>/dev/null & dump=$!
sleep 1
u=http://127.0.0.1:18080
# multipart: one file plus text fields; several files; PUT twice on one keep-alive connection; chunked POST
curl -s -o /dev/null -F title=holiday -F "file=@$work/a.jpg" "$u/upload"
curl -s -o /dev/null -F "one=@$work/b.png" -F note=x -F "two=@$work/d.bin" "$u/upload"
curl -s -o /dev/null -T "$work/c.jpg" "$u/dav/c.jpg" -: -o /dev/null -T "$work/a.jpg" "$u/dav/a2.jpg"
curl -s -o /dev/null -H "Transfer-Encoding: chunked" -H "Content-Type: image/png" --data-binary "@$work/b.png" "$u/chunked"
sleep 1
kill $dump; wait $dump 2>/dev/null || true
cp "$work/upload.pcap" "$here/upload.pcap"
(cd "$work" && md5sum a.jpg b.png c.jpg d.bin) > "$here/files.md5"
(cd "$work" && sha1sum a.jpg b.png c.jpg d.bin) > "$here/files.sha1"
