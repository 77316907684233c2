"""Fixtures of the Dify module tests, loaded with ``pytest_plugins = ("dify_fixtures",)``."""

import subprocess

import pytest

from dify_support import EMAIL, PASSWORD
from fakes.dify_console import FakeDifyConsole


@pytest.fixture
def dify():
    fake = FakeDifyConsole(email=EMAIL, password=PASSWORD).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A throw-away CA and a certificate for 127.0.0.1 signed by it (openssl CLI)."""
    base = tmp_path_factory.mktemp("tls")
    ca_key, ca_crt = base / "ca.key", base / "ca.pem"
    key, csr, crt = base / "server.key", base / "server.csr", base / "server.pem"
    ext = base / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")

    def openssl(*args):
        subprocess.run(("openssl", *args), check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
            "-keyout", str(ca_key), "-out", str(ca_crt))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "2", "-extfile", str(ext), "-out", str(crt))
    return {"ca": str(ca_crt), "cert": str(crt), "key": str(key)}
