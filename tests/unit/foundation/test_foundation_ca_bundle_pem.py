"""The foundation's CA bundle is checked before anything touches the cluster (issue 15, defect 4 of session 7).

A bundle written as a folded YAML scalar (`>-`) put two PEM blocks on one line, and OAuth2-Proxy
crash-looped on `unable to load provider CA file(s)`. dify_platform's validate_roles now refuses
such a bundle, through __foundation_input_errors, naming the variable and the block, never its content.
"""

import base64
import datetime

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.airgap.dify_platform.plugins.filter import pem_bundle_errors as module
from ansible_collections.airgap.dify_platform.plugins.filter.pem_bundle_errors import pem_bundle_errors
from helpers.paths import REPO
from helpers.playbook import run_tasks

VAR = "foundation_ca_bundle_pem"


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, key_pem


@pytest.fixture(scope="module")
def cas():
    root, root_key = make_ca("Test Root CA")
    inter = make_ca("Test Intermediate CA")[0]
    return {"root": root, "key": root_key, "inter": inter}


def body_lines(pem):
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def assert_no_content(errors, *pems):
    for pem in pems:
        for line in body_lines(pem):
            assert all(line[:16] not in error for error in errors), "a message quotes the bundle"


def test_a_bundle_of_certificates_passes_and_an_empty_one_too(cas):
    root, inter = cas["root"], cas["inter"]
    assert pem_bundle_errors(root + inter, VAR) == []
    assert pem_bundle_errors("# our CAs\n" + root + "\n\n" + inter + "\n", VAR) == []
    assert pem_bundle_errors("", VAR) == [] and pem_bundle_errors(None, VAR) == []


def test_a_bundle_folded_by_yaml_is_refused_naming_the_line(cas):
    root, inter = cas["root"], cas["inter"]
    folded = yaml.safe_load("pem: >-\n" + "".join("  %s\n" % line for line in (root + inter).splitlines()))["pem"]
    assert "\n" not in folded
    errors = pem_bundle_errors(folded, VAR)
    assert errors and all(error.startswith(VAR + ": ") for error in errors)
    assert "line 1 holds a BEGIN or END marker that is not alone on its line" in errors[0]
    assert "literal block" in errors[0]
    assert_no_content(errors, root, inter)


def test_a_private_key_in_the_bundle_is_named_by_position_never_quoted(cas):
    root, key = cas["root"], cas["key"]
    errors = pem_bundle_errors(root + key, VAR)
    assert errors == ["%s: block 2 (line %d) is a 'PRIVATE KEY' block, not a CERTIFICATE." % (
        VAR, len(root.splitlines()) + 1)]
    assert_no_content(errors, key)


def test_a_damaged_body_is_refused(cas):
    root, inter = cas["root"], cas["inter"]
    lines = inter.splitlines()
    lines[3] = lines[3][:10] + "*" + lines[3][11:]
    errors = pem_bundle_errors(root + "\n".join(lines) + "\n", VAR)
    assert errors == ["%s: block 2 (line %d): its body is not base64." % (VAR, len(root.splitlines()) + 1)]


def test_base64_that_is_no_certificate_is_refused(cas):
    root = cas["root"]
    junk = base64.b64encode(b"\x30\x03\x02\x01\x05").decode()
    errors = pem_bundle_errors("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % junk + root, VAR)
    assert len(errors) == 1 and errors[0].startswith(VAR + ": block 1 (line 1) ")


def test_a_truncated_certificate_is_refused_also_without_the_cryptography_package(cas, monkeypatch):
    root = cas["root"]
    der = base64.b64decode("".join(body_lines(root)))
    cut = base64.encodebytes(der[:-20]).decode()
    truncated = "-----BEGIN CERTIFICATE-----\n%s-----END CERTIFICATE-----\n" % cut
    assert pem_bundle_errors(truncated, VAR)
    monkeypatch.setattr(module, "HAS_CRYPTOGRAPHY", False)
    assert pem_bundle_errors(root, VAR) == []
    assert pem_bundle_errors(truncated, VAR) == [
        "%s: block 1 (line 1) has a DER length that does not match its size." % VAR]


def test_unbalanced_markers_and_text_without_a_block_are_refused(cas):
    root = cas["root"]
    without_end = "\n".join(root.splitlines()[:-1]) + "\n"
    assert pem_bundle_errors(without_end, VAR) == ["%s: the block that begins on line 1 has no END line." % VAR]
    assert pem_bundle_errors(root + "-----END CERTIFICATE-----\n", VAR) == [
        "%s: line %d ends a block that never began." % (VAR, len(root.splitlines()) + 1)]
    assert pem_bundle_errors("not a certificate", VAR) == [
        "%s: holds no PEM block (expected -----BEGIN CERTIFICATE-----)." % VAR]


def foundation_input_errors(bundle):
    """__foundation_input_errors as dify_platform's validate_roles reads it, from the role's own files."""
    tasks = [{"name": "load %s" % path, "ansible.builtin.include_vars": {"file": str(path)}}
             for path in (REPO / "roles" / "dify_platform" / "defaults" / "main.yml",
                          REPO / "roles" / "foundation" / "defaults" / "main.yml",
                          REPO / "roles" / "foundation" / "vars" / "main.yml")]
    tasks += [{"name": "inputs", "ansible.builtin.set_fact": {"dify_platform_ca_bundle_pem": bundle}},
              {"name": "rules", "ansible.builtin.debug": {"msg": "{{ __foundation_input_errors }}"}}]
    result = run_tasks(tasks).result("rules")
    assert not result.get("failed"), result.get("msg")
    return result["msg"]


def test_the_foundation_role_checks_its_bundle_before_any_wave(cas):
    root, inter = cas["root"], cas["inter"]
    folded = " ".join((root + inter).splitlines())
    errors = foundation_input_errors(folded)
    assert errors and all(error.startswith(VAR + ": ") for error in errors)
    assert_no_content(errors, root, inter)
    assert foundation_input_errors(root + inter) == []
