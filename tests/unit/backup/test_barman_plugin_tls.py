"""The renewal decision of the Barman Cloud Plugin's self-signed TLS pairs (roles/postgres/files/barman_plugin_tls.py).

The postgres role (tasks/barman_plugin_tls.yml) and the kind drill (hack/kind/drill-backup.sh) both run it; a pair
is made again only when missing, unreadable, for another name or within the threshold of its end, so a converge far
from expiry changes nothing.
"""

import base64
import datetime
import importlib.util
import json
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from helpers.paths import REPO

SCRIPT = REPO / "roles" / "postgres" / "files" / "barman_plugin_tls.py"
SPEC = importlib.util.spec_from_file_location("barman_plugin_tls", SCRIPT)
tls = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(tls)

T0 = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def server_cert(made=T0, days=90, name="barman-cloud"):
    return tls.make_pair(name, ExtendedKeyUsageOID.SERVER_AUTH, ("barman-cloud",), made, days)[0].decode()


@pytest.mark.parametrize(("now", "renew", "reason"), [
    (T0, False, "valid until"),                      # just made
    (T0 + 59 * DAY, False, "(31 days left)"),        # one day outside the threshold
    (T0 + 60 * DAY, True, "within 30 days"),         # exactly 30 days left
    (T0 + 89 * DAY, True, "within 30 days"),
    (T0 + 91 * DAY, True, "expired on"),
])
def test_a_pair_is_made_again_within_the_threshold_of_its_end(now, renew, reason):
    got = tls.decide(server_cert(), "barman-cloud", now, 30)
    assert got[0] is renew and reason in got[1], got


def test_missing_unreadable_or_foreign_certificates_are_made_again():
    assert tls.decide("", "barman-cloud", T0, 30) == (True, "missing")
    assert tls.decide("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "barman-cloud", T0, 30)[0]
    renew, reason = tls.decide(server_cert(name="someone-else"), "barman-cloud", T0, 30)
    assert renew and "someone-else" in reason


def test_the_threshold_is_the_variable_not_a_constant():
    cert = server_cert()
    assert tls.decide(cert, "barman-cloud", T0 + 45 * DAY, 30)[0] is False
    assert tls.decide(cert, "barman-cloud", T0 + 45 * DAY, 60)[0] is True


def run(request):
    proc = subprocess.run([sys.executable, str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True,
                          check=True, timeout=60)
    return json.loads(proc.stdout)


def test_the_script_makes_both_pairs_as_upstream_names_them_then_keeps_them():
    first = run({"renew_days": 30, "days": 90, "namespace": "cnpg-system", "current": {}})
    assert {s["metadata"]["name"] for s in first["secrets"]} == {"barman-cloud-server-tls", "barman-cloud-client-tls"}
    current = {}
    for secret in first["secrets"]:
        data = {k: base64.b64decode(v) for k, v in secret["data"].items()}
        assert secret["type"] == "kubernetes.io/tls" and data["ca.crt"] == data["tls.crt"]  # selfSigned issuer's shape
        cert = x509.load_pem_x509_certificate(data["tls.crt"])
        assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 90
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if secret["metadata"]["name"] == "barman-cloud-server-tls":
            assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
            assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName) == ["barman-cloud"]
        else:
            assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        current[secret["metadata"]["name"]] = data["tls.crt"].decode()
    again = run({"renew_days": 30, "days": 90, "namespace": "cnpg-system", "current": current})
    assert again["secrets"] == [] and not any(d["renew"] for d in again["decisions"].values())
    later = run({"renew_days": 30, "days": 90, "namespace": "cnpg-system", "current": current,
                 "now": (datetime.datetime.now(datetime.timezone.utc) + 70 * DAY).isoformat()})
    assert len(later["secrets"]) == 2


def test_pairs_cert_manager_keeps_are_left_to_it():
    out = run({"renew_days": 30, "days": 90, "namespace": "cnpg-system", "current": {},
               "skip": ["barman-cloud-server-tls"]})
    assert [s["metadata"]["name"] for s in out["secrets"]] == ["barman-cloud-client-tls"]
    assert out["decisions"]["barman-cloud-server-tls"]["renew"] is False
