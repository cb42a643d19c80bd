"""The corporate network of the end-to-end tests: a certificate authority the test makes, and a logging proxy.

``TestCA(folder)`` makes a CA (EC P-256, with Python's ``cryptography``, which ansible-core brings into the test
venv) and issues from it server certificates (SAN ``127.0.0.1`` and ``localhost``) and client certificates (for
mTLS, the key plain or encrypted with a passphrase); ``server_context(...)`` is the ``ssl.SSLContext`` an HTTPS fake
(``FakeAnthropic(tls=...)``) serves with, optionally requiring a client certificate signed by the CA. Nothing is put
into the OS certificate store: the client trusts the CA only when it is told to.

``LoggingProxy(user=None, password=None)`` is a small forward proxy on 127.0.0.1: ``CONNECT host:port`` (https,
a byte tunnel) and absolute-URI requests (``POST http://host:port/path``, forwarded to the origin). It records
every request it received (``ProxyRecord``) and, when a user is set, answers 407 unless ``Proxy-Authorization``
carries ``Basic user:password``. Its ``url`` carries the credentials (``http://user:password@127.0.0.1:port``).

Standard library plus ``cryptography`` only.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import http.client
import ipaddress
import selectors
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fake_anthropic import FakeServer, RecordingHandler


# -- certificates ------------------------------------------------------------------------------------------------
@dataclass
class Issued:
    """A certificate and its key, as PEM text and as files."""

    cert_pem: str
    key_pem: str
    cert_file: Path
    key_file: Path
    passphrase: str | None = None


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fleetcfg e2e"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key, passphrase: str | None, key_format: str) -> str:
    fmt = {"pkcs8": serialization.PrivateFormat.PKCS8,
           "traditional": serialization.PrivateFormat.TraditionalOpenSSL}[key_format]
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


class TestCA:
    """A certificate authority in ``folder`` (ca.pem): issues server and client certificates."""

    __test__ = False  # not a pytest test class

    def __init__(self, folder: Path, name: str = "fleetcfg e2e test CA"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self._now = now
        self.cert = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()
        self.file = self.folder / "ca.pem"
        self.file.write_text(self.pem)

    def _issue(self, stem: str, common_name: str, usage, hosts=(), passphrase=None, key_format="pkcs8") -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(self.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self._now - datetime.timedelta(hours=1))
            .not_valid_after(self._now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
        )
        if hosts:
            names = []
            for host in hosts:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        issued = Issued(cert.public_bytes(serialization.Encoding.PEM).decode(), _pem_key(key, passphrase, key_format),
                        self.folder / f"{stem}.crt", self.folder / f"{stem}.key", passphrase)
        issued.cert_file.write_text(issued.cert_pem)
        issued.key_file.write_text(issued.key_pem)
        issued.key_file.chmod(0o600)
        return issued

    def server(self, stem: str = "server", hosts=("127.0.0.1", "localhost")) -> Issued:
        return self._issue(stem, hosts[0], ExtendedKeyUsageOID.SERVER_AUTH, hosts)

    def client(self, stem: str = "client", common_name: str = "fleetcfg-e2e-client", passphrase: str | None = None,
               key_format: str = "pkcs8") -> Issued:
        """A client certificate; with ``passphrase`` its key is encrypted (``pkcs8``: BEGIN ENCRYPTED PRIVATE KEY;
        ``traditional``: BEGIN EC PRIVATE KEY with Proc-Type/DEK-Info headers)."""
        return self._issue(stem, common_name, ExtendedKeyUsageOID.CLIENT_AUTH, (), passphrase, key_format)

    def server_context(self, server: Issued, require_client_cert: bool = False) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server.cert_file, server.key_file)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cadata=self.pem)
        return context


# -- the proxy ---------------------------------------------------------------------------------------------------
@dataclass
class ProxyRecord:
    """One request the proxy received. ``target``: ``host:port`` for CONNECT, the absolute URL otherwise;
    ``credentials``: the decoded ``user:password`` of Proxy-Authorization (None without one); ``status``: the
    proxy's answer (200 tunnel opened or forwarded, 407 refused, 502 origin unreachable, 400 not a proxy request)."""

    method: str
    target: str
    proxy_authorization: str | None
    credentials: str | None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def hostport(self) -> str:
        if self.method == "CONNECT":
            return self.target
        url = urlsplit(self.target)
        return f"{url.hostname}:{url.port or (443 if url.scheme == 'https' else 80)}"


# Hop-by-hop headers (RFC 9110 7.6.1): not forwarded to the origin or back.
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length"}


def _decode_basic(value: str | None) -> str | None:
    if not value or not value.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(value[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _relay(a: socket.socket, b: socket.socket, idle: float = 60) -> None:
    """Copy bytes both ways until either side closes (or nothing moves for ``idle`` seconds)."""
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            events = sel.select(idle)
            if not events:
                return
            for key, _value in events:
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                key.data.sendall(data)
    finally:
        sel.close()


class _ProxyHandler(RecordingHandler):
    fake: "LoggingProxy"
    rbufsize = 0  # unbuffered: after CONNECT, nothing of the tunnel's bytes may sit in a read buffer

    def _read_exact(self, size: int) -> bytes:
        chunks = []
        while size > 0:
            chunk = self.rfile.read(size)  # unbuffered: may return less
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self._read_exact(size))
                self.rfile.readline()
        return self._read_exact(int(self.headers.get("content-length") or 0))

    def _check(self, target: str) -> ProxyRecord | None:
        """Record the request; answer 407 and return None when the proxy wants credentials it did not get."""
        auth = self.headers.get("proxy-authorization")
        rec = ProxyRecord(self.command, target, auth, _decode_basic(auth),
                          headers={k.lower(): v for k, v in self.headers.items()})
        expected = self.fake.expected_credentials
        if expected is not None and rec.credentials != expected:
            rec.status = 407
            self.fake._keep(rec)
            self.send_response(407)
            self.send_header("proxy-authenticate", 'Basic realm="fleetcfg-e2e"')
            self.send_header("content-length", "0")
            self.end_headers()
            return None
        return rec

    def do_CONNECT(self):
        rec = self._check(self.path)
        if rec is None:
            return
        host, _colon, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except (OSError, ValueError):
            rec.status = 502
            self.fake._keep(rec)
            self.send_response(502)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        rec.status = 200
        self.fake._keep(rec)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        try:
            _relay(self.connection, upstream)
        finally:
            upstream.close()

    def _forward(self):
        url = urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            rec = ProxyRecord(self.command, self.path, self.headers.get("proxy-authorization"), None, 400)
            self.fake._keep(rec)
            self.send_response(400)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = self._read_body()
        rec = self._check(self.path)
        if rec is None:
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
        try:
            conn.request(self.command, (url.path or "/") + (f"?{url.query}" if url.query else ""),
                         body=body if body or self.command in ("POST", "PUT", "PATCH") else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError:
            rec.status = 502
            self.fake._keep(rec)
            self.send_response(502)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        finally:
            conn.close()
        rec.status = 200
        self.fake._keep(rec)
        self.send_response(resp.status, resp.reason)
        for name, value in resp.getheaders():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward


@dataclass
class LoggingProxy(FakeServer):
    """A forward proxy on 127.0.0.1 that records what passed (``received()``: ProxyRecord, in arrival order)."""

    user: str | None = None
    password: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[ProxyRecord] = field(default_factory=list)

    def __post_init__(self):
        self._init_server()

    @property
    def expected_credentials(self) -> str | None:
        return None if self.user is None else f"{self.user}:{self.password or ''}"

    @property
    def url(self) -> str:
        """The proxy URL a client is given, with the credentials when the proxy wants some."""
        if self.user is None:
            return f"http://{self.hostport}"
        return f"http://{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@{self.hostport}"

    def passed(self, hostport: str) -> list[ProxyRecord]:
        """The requests for ``hostport`` that the proxy let through."""
        return [r for r in self.received() if r.hostport == hostport and r.status == 200]


LoggingProxy.handler_class = _ProxyHandler
