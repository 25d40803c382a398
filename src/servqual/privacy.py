"""Personal data: keyed pseudonyms and masking of identifiers in free text.

Respondents' and participants' names, phone numbers, e-mail addresses and ID numbers must never
reach derived data or reports. Columns declared as personal data are dropped or replaced by a
keyed pseudonym (HMAC-SHA-256, RFC 2104), and free text (interview quotes, complaint texts,
open answers) is masked with patterns for e-mails, phone numbers and ID numbers.

The salt is a secret: it is read from the environment variable ``SERVQUAL_SALT`` or from the
uncommitted file ``.servqual_salt`` in the study folder (see :func:`load_salt`). Without the salt a
pseudonym cannot be linked back to the person, while the same person keeps the same pseudonym
across waves, which longitudinal studies need.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SALT_ENV = "SERVQUAL_SALT"
SALT_FILE = ".servqual_salt"

#: E-mail addresses (RFC 5322 simplified; enough for survey exports).
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
#: Chinese resident ID numbers: 17 digits and a check character (digit or X).
CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
#: Phone numbers: Chinese mobiles (1[3-9] + 9 digits) and international/landline forms with
#: separators, at least 7 digits in all.
PHONE = re.compile(
    r"(?<![\dA-Za-z])(?:\+?\d{1,3}[\s\-.]?)?(?:\(?\d{2,4}\)?[\s\-.]?)?\d{3,4}[\s\-.]?\d{4}(?![\dA-Za-z])"
)

MASKS = (("[email]", EMAIL), ("[id]", CN_ID), ("[phone]", PHONE))


def load_salt(study_dir: str | Path = ".", *, create: bool = True) -> bytes:
    """Return the pseudonymisation salt of a study.

    Parameters
    ----------
    study_dir
        The study folder; the salt file ``.servqual_salt`` is looked for there.
    create
        When neither the environment variable nor the file exists, write a new random salt to
        the file (which ``.gitignore`` keeps out of version control).

    Returns
    -------
    bytes
        The salt. The environment variable ``SERVQUAL_SALT`` takes precedence over the file.
    """
    from_env = os.environ.get(SALT_ENV)
    if from_env:
        return from_env.encode("utf-8")
    path = Path(study_dir) / SALT_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    if not create:
        raise FileNotFoundError(
            f"No pseudonymisation salt: set {SALT_ENV} or create {path} (any long random string)."
        )
    salt = secrets.token_hex(32)
    path.write_text(salt + "\n", encoding="utf-8")
    return salt.encode("utf-8")


def pseudonym(value: object, salt: bytes, *, prefix: str = "R", length: int = 12) -> str:
    """Keyed pseudonym of one value: ``prefix`` + the first ``length`` hex digits of its HMAC.

    Formula: ``HMAC-SHA256(salt, str(value))`` (Krawczyk, Bellare & Canetti 1997, RFC 2104).

    Examples
    --------
    >>> pseudonym("13800138000", b"salt")
    'R78b5443b977c'
    """
    digest = hmac.new(salt, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:length]


def pseudonymise(values: pd.Series, salt: bytes, *, prefix: str = "R", length: int = 12) -> pd.Series:
    """Replace every non-missing value of a column by its keyed pseudonym (missing stays missing).

    The same pseudonyms as :func:`pseudonym`, computed for a whole column: each distinct value is
    hashed once, so a million-row wave costs about one HMAC per respondent.

    Examples
    --------
    >>> import pandas as pd
    >>> pseudonymise(pd.Series(["13800138000", None]), b"salt").tolist()
    ['R78b5443b977c', <NA>]
    """
    # Imported here: the workflow imports load_salt at every start-up, and pandas takes 0.4 s.
    import numpy as np
    import pandas as pd

    # Strip and factorise column-wise (Arrow), then hash only the distinct texts, as Python str.
    codes, unique = pd.factorize(values.astype("string").str.strip(), use_na_sentinel=True)
    inner_pad, outer_pad = _hmac_pads(salt)

    def one(text: str) -> str:
        inner = inner_pad.copy()
        inner.update(text.encode("utf-8"))
        outer = outer_pad.copy()
        outer.update(inner.digest())
        return prefix + outer.hexdigest()[:length]

    names = np.array([one(text) for text in unique.tolist()] + [None], dtype=object)
    return pd.Series(names[codes], index=values.index, dtype="string")


def _hmac_pads(salt: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after HMAC's inner and outer key pads (RFC 2104, section 2).

    HMAC(K, m) = H((K' xor opad) || H((K' xor ipad) || m)), K' the key zero-padded to the block
    size (hashed first when longer). Copying these two states per message skips the key schedule
    and is about twice as fast as copying a keyed :class:`hmac.HMAC`, whose copy is Python code.
    """
    block = hashlib.sha256().block_size
    key = (hashlib.sha256(salt).digest() if len(salt) > block else salt).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
    return inner, outer


def mask_text(text: str) -> str:
    """Mask e-mail addresses, ID numbers and phone numbers in free text.

    Examples
    --------
    >>> mask_text("call 138-0013-8000 or mail li.wei@example.com")
    'call [phone] or mail [email]'
    """
    for label, pattern in MASKS:
        text = pattern.sub(label, text)
    return text


def mask_names(text: str, names: Iterable[str], replacements: dict[str, str] | None = None) -> str:
    """Replace each of ``names`` in ``text`` by its pseudonym (or ``[name]``), longest first."""
    replacements = replacements or {}
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, replacements.get(name, "[name]"))
    return text
