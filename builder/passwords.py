"""Password hashing with argon2id (argon2-cffi): never stored, logged or compared in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
MIN_LENGTH = 10
MIN_DISTINCT = 4  # different characters: "aaaaaaaaaa" and "1212121212" are refused


def hash_password(password: str) -> str:
    """An argon2id hash of the password (salted; parameters inside the hash)."""
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)


def weakness(password: str, username: str = "") -> str:
    """Why a new password is refused, in Korean ("" when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return f"비밀번호는 {MIN_LENGTH}자 이상이어야 합니다"
    if username and username.lower() in password.lower():
        return "비밀번호에 사용자 이름을 넣을 수 없습니다"
    if len(set(password)) < MIN_DISTINCT:
        return "같은 글자를 되풀이한 비밀번호는 쓸 수 없습니다"
    return ""


def rules() -> list[str]:
    """The rules `weakness` enforces, in Korean, for the forms that ask for a new password (one place, so the
    text a form states is the check it runs)."""
    return [f"{MIN_LENGTH}자 이상", "사용자 이름을 넣지 않기",
            f"서로 다른 글자 {MIN_DISTINCT}개 이상 (같은 글자 되풀이 안 됨)"]
