"""HTTPS with a pinned CA: ``enroll --ca FILE`` trusts only that CA, and ``run`` keeps using it.

A real TLS server on 127.0.0.1 in a thread (stdlib http.server wrapped by ssl), with a
certificate signed by a throw-away CA made here with ``cryptography``.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from vigil.agent.cli import main
from vigil.agent.enrollment import load_credential
from vigil.agent.transport import HttpClient, TransportError


def _ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # fmt: skip
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_cert(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vigil-test")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps(
            {"node_id": "n-tls", "credential": "tls-cred", "customer": "acme", "site": "hq", "name": request["name"]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    ca_key, ca = _ca("vigil test CA")
    _, other_ca = _ca("some other CA")
    cert_pem, key_pem = _server_cert(ca_key, ca)
    (tmp_path / "server.pem").write_bytes(cert_pem + key_pem)
    ca_file, other_file = tmp_path / "ca.pem", tmp_path / "other-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    other_file.write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", ca_file, other_file
    httpd.shutdown()
    httpd.server_close()


def test_enroll_over_https_with_the_pinned_ca(
    tmp_path: Path, tls_server: tuple[str, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, ca_file, other_ca = tls_server
    state = tmp_path / "state"
    base = ["--state-dir", str(state), "enroll", "--server", url, "--token", "t" * 16]
    # Not signed by a CA the system trusts, nor by the wrong pinned CA: refused.
    assert main(base) == 1
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
    assert main([*base, "--ca", str(other_ca)]) == 1
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
    assert not (state / "credential.json").exists()
    # The right CA: enrolled, and the CA is remembered for `run`.
    assert main([*base, "--ca", str(ca_file)]) == 0
    cred = load_credential(state / "credential.json")
    # The CA is kept beside the credential, where the agent's own account can read it.
    assert cred.credential == "tls-cred" and cred.ca_file == str(state / "ca.pem")
    assert (state / "ca.pem").read_bytes() == ca_file.read_bytes()
    assert stat.S_IMODE((state / "ca.pem").stat().st_mode) == 0o600
    ca_file.rename(tmp_path / "moved-away.pem")  # the file given to --ca is not needed any more
    client = HttpClient(url, cred.ca_file)
    assert client.request("POST", "/x", b'{"name": "n"}', {"Content-Type": "application/json"}).status == 200
    client.close()
    # Clients pinning the same CA share one TLS context (each holds its parsed CA certificates).
    assert HttpClient(url, cred.ca_file)._ssl is client._ssl is not None
    assert HttpClient(url, str(other_ca))._ssl is not client._ssl
    with pytest.raises(TransportError):
        HttpClient(url, str(other_ca)).request("POST", "/x", b"{}", {})
    with pytest.raises(ValueError, match="cannot be used"):
        HttpClient(url, str(tmp_path / "missing.pem"))


def test_a_certificate_for_another_host_name_is_refused_even_from_the_pinned_ca(
    tls_server: tuple[str, Path, Path],
) -> None:
    """The server's certificate names 127.0.0.1 only: reached as ``localhost`` (the same
    loopback address), the agent's own HTTP client must refuse it, since it checks the name as
    well as the CA."""
    url, ca_file, _ = tls_server
    port = url.rsplit(":", 1)[1]
    by_address = HttpClient(url, str(ca_file))
    assert by_address.request("POST", "/x", b'{"name": "n"}', {"Content-Type": "application/json"}).status == 200
    by_address.close()
    by_name = HttpClient(f"https://localhost:{port}", str(ca_file))
    with pytest.raises(TransportError, match="(?i)hostname|CERTIFICATE_VERIFY_FAILED|match"):
        by_name.request("POST", "/x", b'{"name": "n"}', {"Content-Type": "application/json"})
    by_name.close()
