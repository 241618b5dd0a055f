#!/usr/bin/env python3
"""A small real HTTP/1.1 upload server for capture generation: accepts POST, PUT and PATCH with
Content-Length or chunked bodies (multipart or raw), keeps connections alive, answers 100-continue.
It stores nothing: it reads the body, counts it, and answers 201 with the byte count. With --tls-cert and
--tls-key it speaks HTTPS instead (a flow the wire path must tell from HTTP and leave alone)."""
import argparse
import http.server
import socket
import socketserver
import ssl


class UploadHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and 100-continue

    def log_message(self, fmt, *args):  # quiet: the capture is the record
        pass

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return total
                total += len(self.rfile.read(size))
                self.rfile.readline(16)
        length = int(self.headers.get("Content-Length", "0"))
        return len(self.rfile.read(length)) if length else 0

    def _upload(self):
        n = self._read_body()
        body = f"stored {n} bytes\n".encode()
        self.send_response(201)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = _upload
    do_PUT = _upload
    do_PATCH = _upload

    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    a = p.parse_args()
    cls = Server6 if ":" in a.bind else Server
    server = cls((a.bind, a.port), UploadHandler)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
