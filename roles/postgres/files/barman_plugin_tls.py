"""The Barman Cloud Plugin's two TLS pairs when cert-manager does not make them: decide, make.

Upstream's manifest (github.com/cloudnative-pg/plugin-barman-cloud v0.15.0, kubernetes/certificate-issuer.yaml,
kubernetes/client-certificate.yaml, kubernetes/server-certificate.yaml) asks cert-manager's selfSigned issuer for
two certificates, each its own root: the server's (CN and DNS name barman-cloud, server auth) in the Secret
barman-cloud-server-tls and the client's (CN barman-cloud-client, client auth) in barman-cloud-client-tls, with
ca.crt = tls.crt as that issuer writes it. The CloudNativePG operator trusts the server Secret's certificate and
presents the client pair (cloudnative-pg v1.30.1 internal/controller/plugin_controller.go); the plugin trusts the
client's certificate (cnpg-i-machinery v0.4.2 pkg/pluginhelper/http/server.go, --client-cert). cert-manager renews
them; without it nothing does, so the postgres role (tasks/barman_plugin_tls.yml) and the kind drill
(hack/kind/drill-backup.sh) both run this: a pair is made again when it is missing, unreadable, for another
name, or within ``renew_days`` of its end.

Reads JSON on stdin: {"renew_days": 30, "days": 90, "namespace": "cnpg-system", "now": optional ISO 8601,
"current": {"<secret name>": "<PEM of its tls.crt>" or ""}, "skip": [the Secrets cert-manager keeps]}. Writes JSON on stdout: {"decisions": {"<secret>":
{"renew": bool, "reason": str}}, "secrets": [the Secret objects to apply, private keys inside]}.
Run by the interpreter (ansible-test sanity: no shebang in a role's files).
"""

import base64
import datetime
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Secret name -> (common name, extended key usage, DNS names): upstream's two Certificates (module docstring).
PAIRS = {
    "barman-cloud-server-tls": ("barman-cloud", ExtendedKeyUsageOID.SERVER_AUTH, ("barman-cloud",)),
    "barman-cloud-client-tls": ("barman-cloud-client", ExtendedKeyUsageOID.CLIENT_AUTH, ()),
}


def not_after(cert):
    try:
        return cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def decide(pem, common_name, now, renew_days):
    """(renew, reason) for the certificate ``pem`` (str, may be empty) at ``now`` (aware datetime). Pure."""
    if not pem or not pem.strip():
        return True, "missing"
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as error:
        return True, "unreadable (%s)" % error
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [common_name]:
        return True, "made for %s, not %s" % (", ".join(names) or "no name", common_name)
    end = not_after(cert)
    left = end - now
    if left <= datetime.timedelta(0):
        return True, "expired on %s" % end.isoformat()
    if left <= datetime.timedelta(days=renew_days):
        return True, "ends on %s, within %d days" % (end.isoformat(), renew_days)
    return False, "valid until %s (%d days left)" % (end.isoformat(), left.days)


def make_pair(common_name, usage, dns_names, now, days):
    """A self-signed P-256 pair as cert-manager's selfSigned issuer makes it: (certificate PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
                                        critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def secret(name, namespace, cert_pem, key_pem):
    data = {"tls.crt": cert_pem, "tls.key": key_pem, "ca.crt": cert_pem}
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "airgap.dify_platform",
                                    "app.kubernetes.io/name": "barman-cloud"}},
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}


def run(request):
    now = request.get("now")
    now = (datetime.datetime.fromisoformat(now.replace("Z", "+00:00")) if now
           else datetime.datetime.now(datetime.timezone.utc))
    current = request.get("current") or {}
    decisions, secrets = {}, []
    for name, (common_name, usage, dns_names) in PAIRS.items():
        if name in (request.get("skip") or ()):
            decisions[name] = {"renew": False, "reason": "written by cert-manager, which renews it"}
            continue
        renew, reason = decide(current.get(name) or "", common_name, now, int(request["renew_days"]))
        decisions[name] = {"renew": renew, "reason": reason}
        if renew:
            secrets.append(secret(name, request["namespace"],
                                  *make_pair(common_name, usage, dns_names, now, int(request["days"]))))
    return {"decisions": decisions, "secrets": secrets}


def main():
    json.dump(run(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
