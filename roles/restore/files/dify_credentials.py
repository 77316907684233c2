"""Decrypt Dify's stored model credentials with a workspace's RSA private key, as Dify does.

Dify (langgenius/dify) encrypts every secret field of a model credential for the workspace
(tenant) it belongs to:

- ``api/libs/rsa.py``: ``generate_key_pair`` makes an RSA 2048 key per tenant and saves the
  private key PEM in the file storage at ``privkeys/<tenant_id>/private.pem``; the public key
  goes to ``tenants.encrypt_public_key``. ``encrypt`` is hybrid: a random 16-byte AES key,
  AES in EAX mode (PyCryptodome's default 16-byte nonce and 16-byte tag), the AES key wrapped
  with RSA OAEP (``libs/gmpy2_pkcs10aep_cipher.py``: SHA-1, MGF1 with SHA-1, empty label),
  and the result ``b"HYBRID:" + wrapped key + nonce + tag + ciphertext``.
  ``decrypt_token_with_decoding`` splits it the same way (a token without the prefix is plain
  RSA OAEP).
- ``api/core/helper/encrypter.py``: ``encrypt_token`` stores base64 of that; ``decrypt_token``
  reverses it.
- ``api/models/provider.py``: ``provider_credentials.encrypted_config`` (and
  ``provider_model_credentials``) hold a JSON object whose secret fields are such tokens.

PyCryptodome is not needed: AES-EAX is built from AES-CTR and CMAC (Bellare, Rogaway, Wagner,
"The EAX Mode of Operation", 2004), OAEP comes from ``cryptography`` (ansible-core's own
dependency). A wrong key or altered data fails EAX's tag check, so a token that decrypts proves
that the private key restored into the file storage belongs to the database restored beside it.

As a script (the restore role's check): reads ``{"private_key": PEM, "configs": [text, ...]}``
as JSON on stdin, decrypts every token found in the configs' JSON values, and writes
``{"tokens": n, "decrypted": n, "failed": n, "sha256": [...]}``: digests, never a clear value.
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

PREFIX = b"HYBRID:"
BLOCK = 16


def _omac(key, tweak, data):
    mac = CMAC(algorithms.AES(key))
    mac.update(bytes(BLOCK - 1) + bytes([tweak]) + data)
    return mac.finalize()


def _ctr(key, counter, data):
    cipher = Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor()
    return cipher.update(data) + cipher.finalize()


def eax_encrypt(key, nonce, plaintext, header=b""):
    """AES-EAX: (ciphertext, 16-byte tag)."""
    n = _omac(key, 0, nonce)
    h = _omac(key, 1, header)
    ciphertext = _ctr(key, n, plaintext)
    c = _omac(key, 2, ciphertext)
    return ciphertext, bytes(a ^ b ^ d for a, b, d in zip(n, h, c))


def eax_decrypt(key, nonce, ciphertext, tag, header=b""):
    """AES-EAX: the plaintext; ValueError when the tag does not match."""
    n = _omac(key, 0, nonce)
    h = _omac(key, 1, header)
    c = _omac(key, 2, ciphertext)
    expected = bytes(a ^ b ^ d for a, b, d in zip(n, h, c))
    if not _equal(expected[:len(tag)], tag) or len(tag) == 0:
        raise ValueError("EAX tag mismatch: wrong key or altered data")
    return _ctr(key, n, ciphertext)


def _equal(a, b):
    diff = len(a) ^ len(b)
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def _oaep():
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)  # noqa: S303


def encrypt_token(public_key_pem, text):
    """Dify's encrypter.encrypt_token: base64 of rsa.encrypt (HYBRID). For seeding a drill."""
    public_key = serialization.load_pem_public_key(public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem)
    aes_key = os.urandom(16)
    nonce = os.urandom(16)
    ciphertext, tag = eax_encrypt(aes_key, nonce, text.encode())
    wrapped = public_key.encrypt(aes_key, _oaep())
    return base64.b64encode(PREFIX + wrapped + nonce + tag + ciphertext).decode()


def decrypt_token(private_key_pem, token):
    """Dify's encrypter.decrypt_token with the tenant's private key PEM."""
    private_key = serialization.load_pem_private_key(
        private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem, password=None)
    data = base64.b64decode(token)
    size = (private_key.key_size + 7) // 8
    if not data.startswith(PREFIX):
        return private_key.decrypt(data, _oaep()).decode()
    data = data[len(PREFIX):]
    wrapped, nonce, tag, ciphertext = data[:size], data[size:size + 16], data[size + 16:size + 32], data[size + 32:]
    aes_key = private_key.decrypt(wrapped, _oaep())
    return eax_decrypt(aes_key, nonce, ciphertext, tag).decode()


def is_token(value):
    """A string that is base64 of a HYBRID token (the secret fields of an encrypted_config)."""
    if not isinstance(value, str) or len(value) < 64:
        return False
    try:
        return base64.b64decode(value, validate=True).startswith(PREFIX)
    except ValueError:
        return False


def tokens_of(config):
    """The tokens among the values of one encrypted_config (a JSON object as text)."""
    try:
        values = json.loads(config)
    except ValueError:
        return []
    if not isinstance(values, dict):
        return []
    return [value for value in values.values() if is_token(value)]


def check(private_key_pem, configs):
    found = [token for config in configs for token in tokens_of(config)]
    digests, failed = [], 0
    for token in found:
        try:
            digests.append(hashlib.sha256(decrypt_token(private_key_pem, token).encode()).hexdigest())
        except ValueError:
            failed += 1
    return {"tokens": len(found), "decrypted": len(digests), "failed": failed, "sha256": digests}


def main():
    request = json.load(sys.stdin)
    json.dump(check(request["private_key"], request.get("configs") or []), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
