"""The restore check's Dify credential decryption (roles/restore/files/dify_credentials.py), with a real key pair.

EAX is checked against the test vectors of Bellare, Rogaway and Wagner's paper ("The EAX Mode of Operation",
2004, appendix; the same vectors as PyCryptodome's Crypto/SelfTest/Cipher/test_EAX.py), so the decryption is
Dify's (PyCryptodome's AES.MODE_EAX), not merely consistent with the encryption beside it.
"""

import base64
import importlib.util
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers.paths import REPO

SPEC = importlib.util.spec_from_file_location("dify_credentials", REPO / "roles" / "restore" / "files" / "dify_credentials.py")
dc = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(dc)

# (key, nonce, header, message, ciphertext + tag), hex.
VECTORS = [
    ("233952DEE4D5ED5F9B9C6D6FF80FF478", "62EC67F9C3A4A407FCB2A8C49031A8B3", "6BFB914FD07EAE6B", "",
     "E037830E8389F27B025A2D6527E79D01"),
    ("91945D3F4DCBEE0BF45EF52255F095A4", "BECAF043B0A23D843194BA972C66DEBD", "FA3BFD4806EB53FA", "F7FB",
     "19DD5C4C9331049D0BDAB0277408F67967E5"),
    ("01F74AD64077F2E704C0F60ADA3DD523", "70C3DB4F0D26368400A10ED05D2BFF5E", "234A3463C1264AC6", "1A47CB4933",
     "D851D5BAE03A59F238A23E39199DC9266626C40F80"),
]


@pytest.mark.parametrize("key,nonce,header,message,expected", VECTORS)
def test_eax_matches_the_published_vectors(key, nonce, header, message, expected):
    key, nonce, header, message, expected = (bytes.fromhex(v) for v in (key, nonce, header, message, expected))
    ciphertext, tag = dc.eax_encrypt(key, nonce, message, header)
    assert ciphertext + tag == expected
    assert dc.eax_decrypt(key, nonce, ciphertext, tag, header) == message
    with pytest.raises(ValueError):
        dc.eax_decrypt(key, nonce, ciphertext, bytes([tag[0] ^ 1]) + tag[1:], header)


@pytest.fixture(scope="module")
def key_pair():
    """A workspace key pair as Dify's generate_key_pair writes it (RSA 2048, PKCS#1 PEM private key)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem, public


def test_a_token_decrypts_with_its_workspace_key_only(key_pair):
    pem, public = key_pair
    token = dc.encrypt_token(public, "sk-model-provider-0123456789")
    raw = base64.b64decode(token)
    assert raw.startswith(b"HYBRID:") and len(raw) == len(b"HYBRID:") + 256 + 16 + 16 + len("sk-model-provider-0123456789")
    assert dc.decrypt_token(pem, token) == "sk-model-provider-0123456789"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError):
        dc.decrypt_token(other, token)


def test_check_reports_digests_never_clear_values(key_pair):
    pem, public = key_pair
    config = json.dumps({"openai_api_key": dc.encrypt_token(public, "sk-live-secret-value-42"),
                         "openai_api_base": "https://llm.example.test/v1", "note": "x" * 80})
    result = dc.check(pem, [config, "not json", json.dumps(["a list"])])
    assert result["tokens"] == 1 and result["decrypted"] == 1 and result["failed"] == 0
    assert "sk-live-secret-value-42" not in json.dumps(result)
    tampered = json.loads(config)
    raw = bytearray(base64.b64decode(tampered["openai_api_key"]))
    raw[-1] ^= 1
    tampered["openai_api_key"] = base64.b64encode(bytes(raw)).decode()
    assert dc.check(pem, [json.dumps(tampered)])["failed"] == 1
