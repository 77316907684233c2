# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pem_bundle_errors
short_description: What is wrong with a PEM bundle of CA certificates, as messages naming the variable
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Checks a CA bundle before any pod reads it. Every block must be a C(CERTIFICATE) whose BEGIN and END lines
    stand on lines of their own (a folded YAML scalar C(>) joins them), whose body is strict base64, and which
    parses as an X.509 certificate (with the C(cryptography) package that ansible-core brings; without it, the DER
    outer SEQUENCE and its tbsCertificate SEQUENCE are checked).
  - Each message names the variable and the block's position (its number and first line), never the content.
  - An empty bundle gives no message (on OpenShift the cluster injects its own).
options:
  _input:
    description: The bundle's PEM text.
    type: str
    required: true
  variable:
    description: The variable's name, for the messages.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The role's input rules
  ansible.builtin.set_fact:
    errors: "{{ foundation_ca_bundle_pem | airgap.dify_platform.pem_bundle_errors('foundation_ca_bundle_pem') }}"
"""

RETURN = r"""
_value:
  description: One message per defect; empty when every block is a well-formed certificate.
  type: list
  elements: str
"""

import base64
import binascii
import re
import warnings

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core depends on cryptography
    HAS_CRYPTOGRAPHY = False

# RFC 7468, section 2: "-----BEGIN label-----"; label = [ labelchar *( ["-" / SP] labelchar ) ], labelchar
# %x21-2C / %x2E-7E (so a label never holds "--", and a line joined to the next never matches).
LABEL_CHAR = r"[\x21-\x2c\x2e-\x7e]"
MARKER = re.compile(r"^-----(BEGIN|END) (%s(?:[- ]?%s)*)?-----$" % (LABEL_CHAR, LABEL_CHAR))
BASE64_LINE = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def der_length(der, offset):
    """(length, offset of the contents) of the DER element whose length octets start at ``offset``."""
    first = der[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0 or count > 4 or offset + 1 + count > len(der):
        raise ValueError("bad length")
    return int.from_bytes(der[offset + 1:offset + 1 + count], "big"), offset + 1 + count


def der_certificate_shape(der):
    """None when ``der`` is one SEQUENCE spanning every byte and starting with a SEQUENCE (tbsCertificate)."""
    try:
        if len(der) < 4 or der[0] != 0x30:
            return "is not a DER SEQUENCE"
        length, start = der_length(der, 1)
        if start + length != len(der):
            return "has a DER length that does not match its size"
        if der[start] != 0x30:
            return "holds no tbsCertificate SEQUENCE"
        inner, inner_start = der_length(der, start + 1)
        if inner_start + inner > len(der):
            return "has a tbsCertificate longer than the certificate"
    except (IndexError, ValueError):
        return "is not a DER SEQUENCE"
    return None


def certificate_problem(der):
    problem = der_certificate_shape(der)
    if problem is None and HAS_CRYPTOGRAPHY:
        try:
            # Some CAs in use carry a serial number of zero (one in Debian's ca-certificates): cryptography
            # warns, OpenSSL and Go accept it; no warning on the operator's console for it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x509.load_der_x509_certificate(der)
        except ValueError:
            problem = "does not parse as an X.509 certificate"
    return problem


def blocks(text):
    """(markers' problems, [(number, first line, label, body lines)]) of the PEM text."""
    problems, found, current = [], [], None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if "-----BEGIN" not in line and "-----END" not in line:
            if current is not None:
                current[3].append(line)
            continue
        match = MARKER.match(line)
        if not match:
            problems.append("line %d holds a BEGIN or END marker that is not alone on its line (a folded YAML "
                            "scalar '>' joins lines: write the bundle as a literal block '|')" % number)
            current = None
            continue
        kind, label = match.group(1), match.group(2) or ""
        if kind == "BEGIN":
            if current is not None:
                problems.append("the block that begins on line %d has no END line" % current[1])
            current = [len(found) + 1, number, label, []]
            found.append(current)
        elif current is None:
            problems.append("line %d ends a block that never began" % number)
        else:
            if label != current[2]:
                problems.append("block %d (line %d) begins as %r and ends as %r"
                                % (current[0], current[1], current[2], label))
            current.append(True)
            current = None
    if current is not None:
        problems.append("the block that begins on line %d has no END line" % current[1])
    return problems, found


def pem_bundle_errors(text, variable):
    text = text or ""
    if not text.strip():
        return []
    problems, found = blocks(text)
    if not found and not problems:
        problems.append("holds no PEM block (expected -----BEGIN CERTIFICATE-----)")
    for number, line, label, body, *ended in found:
        where = "block %d (line %d)" % (number, line)
        if not ended:
            continue
        if label != "CERTIFICATE":
            problems.append("%s is a %r block, not a CERTIFICATE" % (where, label))
            continue
        if not body or not all(BASE64_LINE.match(part) for part in body):
            problems.append("%s: its body is not base64" % where)
            continue
        try:
            der = base64.b64decode("".join(body), validate=True)
        except (binascii.Error, ValueError):
            problems.append("%s: its body is not base64" % where)
            continue
        problem = certificate_problem(der)
        if problem:
            problems.append("%s %s" % (where, problem))
    return ["%s: %s." % (variable, problem) for problem in problems]


class FilterModule:
    def filters(self):
        return {"pem_bundle_errors": pem_bundle_errors}
