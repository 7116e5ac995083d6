"""Random credentials and their stored hashes. Secrets are high-entropy, so SHA-256 suffices;
passwords are not, so they get a salted, deliberately slow hash."""

import base64
import hashlib
import hmac
import secrets

#: scrypt's cost (N = 2**14, r = 8, p = 1: 16 MiB and some 60 ms per hash), Django's default.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    """A random id that never starts with ``-``, which a command line would take for an option
    (``aftercart clients brand CLIENT_ID``)."""
    while (client_id := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return client_id


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(value), stored_digest)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32
    )


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64url): the parameters travel with the hash, so they can
    be raised later without breaking the stored ones. CPU-bound: call it off the event loop."""
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def password_matches(password: str, stored: str) -> bool:
    scheme, n, r, p, salt, key = stored.split("$")
    if scheme != "scrypt":
        return False
    padded = [part + "=" * (-len(part) % 4) for part in (salt, key)]
    expected = base64.urlsafe_b64decode(padded[1])
    found = _scrypt(password, base64.urlsafe_b64decode(padded[0]), int(n), int(r), int(p))
    return hmac.compare_digest(found, expected)
