"""Personal data: keyed pseudonyms and masking of identifiers in free text.

Respondents' and participants' names, phone numbers, e-mail addresses and ID numbers must never
reach derived data or reports. Columns declared as personal data are dropped or replaced by a
keyed pseudonym (HMAC-SHA-256, RFC 2104), and free text (interview quotes, complaint texts,
open answers) is masked with patterns for e-mails, phone numbers and ID numbers.

The salt is a secret: it is read from the environment variable ``SERVQUAL_SALT`` or from the
uncommitted file ``.servqual_salt`` in the study folder (see :func:`load_salt`), which is created
readable by its owner only. Without the salt a pseudonym cannot be linked back to the person,
while the same person keeps the same pseudonym across waves, which longitudinal studies need.

Pseudonym schemes (:data:`SCHEMES`): how many hex digits of the HMAC a pseudonym keeps. Scheme 2
keeps 16 (64 bits): among a million respondents two share a pseudonym with probability about
n²/2^65 = 3e-8, where scheme 1's 48 bits gave 0.2%. Studies begun under scheme 1 keep it, so
their respondents keep their pseudonyms: a salt file without a scheme line is scheme 1, a new
one records scheme 2, and the config's ``privacy.pseudonym_scheme`` can name either.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SALT_ENV = "SERVQUAL_SALT"
SALT_FILE = ".servqual_salt"
#: Pseudonym scheme -> hex digits kept, for respondents (and complaint staff) and for interview
#: participants. 1: the scheme before pseudonyms were versioned (48 and 32 bits); 2: 64 bits.
SCHEMES = {1: {"respondent": 12, "participant": 8}, 2: {"respondent": 16, "participant": 16}}
#: The scheme of new studies (a new salt file records it).
CURRENT_SCHEME = 2
_SCHEME_LINE = re.compile(r"^#.*\bscheme (\d+)\b")


class Salt(bytes):
    """A study's salt (the HMAC key) together with its pseudonym scheme (:data:`SCHEMES`).

    Plain ``bytes`` work wherever a salt is asked for; they mean :data:`CURRENT_SCHEME`.
    """

    scheme: int

    def __new__(cls, value: bytes, scheme: int = CURRENT_SCHEME) -> Salt:
        if scheme not in SCHEMES:
            raise ValueError(f"pseudonym scheme {scheme!r}: use one of {sorted(SCHEMES)}")
        salt = super().__new__(cls, value)
        salt.scheme = scheme
        return salt


def digits(salt: bytes, kind: str = "respondent") -> int:
    """Hex digits a pseudonym keeps under the salt's scheme (``kind``: respondent or participant).

    >>> digits(b"salt"), digits(Salt(b"salt", 1)), digits(Salt(b"salt", 1), "participant")
    (16, 12, 8)
    """
    return SCHEMES[getattr(salt, "scheme", CURRENT_SCHEME)][kind]

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


def load_salt(study_dir: str | Path = ".", *, create: bool = True, scheme: int | None = None) -> Salt:
    """Return the pseudonymisation salt of a study, with its pseudonym scheme.

    Parameters
    ----------
    study_dir
        The study folder; the salt file ``.servqual_salt`` is looked for there.
    create
        When neither the environment variable nor the file exists, write a new random salt to
        the file (which ``.gitignore`` keeps out of version control), readable by its owner only
        and recording :data:`CURRENT_SCHEME`. Creation is atomic: jobs starting together all
        read the one salt that was written first.
    scheme
        The config's ``privacy.pseudonym_scheme``; None = the salt's own: the scheme line of the
        file (a file without one predates versioned schemes: 1), :data:`CURRENT_SCHEME` for a
        new file or the environment variable.

    Returns
    -------
    Salt
        The salt. The environment variable ``SERVQUAL_SALT`` takes precedence over the file.
    """
    from_env = os.environ.get(SALT_ENV)
    if from_env:
        return Salt(from_env.encode("utf-8"), scheme or CURRENT_SCHEME)
    path = Path(study_dir) / SALT_FILE
    if not path.exists():
        if not create:
            raise FileNotFoundError(
                f"No pseudonymisation salt: set {SALT_ENV} or create {path} (any long random string)."
            )
        _create_salt_file(path)
    value, own_scheme = read_salt_file(path)
    return Salt(value, scheme or own_scheme)


def read_salt_file(path: str | Path) -> tuple[bytes, int]:
    """The salt in a salt file and the scheme its comment line names (1 without one)."""
    own_scheme, lines = 1, []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        found = _SCHEME_LINE.match(line)
        if found:
            own_scheme = int(found.group(1))
        elif not line.startswith("#") and line.strip():
            lines.append(line.strip())
    return "\n".join(lines).encode("utf-8"), own_scheme


def salt_scheme(study_dir: str | Path = ".", scheme: int | None = None) -> int:
    """The pseudonym scheme :func:`load_salt` would use, without creating anything."""
    if scheme:
        return scheme
    path = Path(study_dir) / SALT_FILE
    if os.environ.get(SALT_ENV) or not path.exists():
        return CURRENT_SCHEME
    return read_salt_file(path)[1]


def _create_salt_file(path: Path) -> None:
    """Write a new salt file, mode 0600, atomically (a file already there wins)."""
    text = (f"# servqual pseudonymisation salt, scheme {CURRENT_SCHEME}: keep it secret and with the study\n"
            f"{secrets.token_hex(32)}\n")
    fd, temporary = tempfile.mkstemp(prefix=".servqual_salt.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def pseudonym(value: object, salt: bytes, *, prefix: str = "R", length: int | None = None) -> str:
    """Keyed pseudonym of one value: ``prefix`` + the first ``length`` hex digits of its HMAC
    (default: the respondent digits of the salt's scheme, :func:`digits`).

    Formula: ``HMAC-SHA256(salt, str(value))`` (Krawczyk, Bellare & Canetti 1997, RFC 2104).

    Examples
    --------
    >>> pseudonym("13800138000", b"salt")
    'R78b5443b977c53f0'
    >>> pseudonym("13800138000", Salt(b"salt", 1))
    'R78b5443b977c'
    """
    length = length or digits(salt)
    digest = hmac.new(salt, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:length]


def pseudonymise(values: pd.Series, salt: bytes, *, prefix: str = "R", length: int | None = None) -> pd.Series:
    """Replace every non-missing value of a column by its keyed pseudonym (missing stays missing).

    The same pseudonyms as :func:`pseudonym`, computed for a whole column: each distinct value is
    hashed once, so a million-row wave costs about one HMAC per respondent.

    Examples
    --------
    >>> import pandas as pd
    >>> pseudonymise(pd.Series(["13800138000", None]), b"salt").tolist()
    ['R78b5443b977c53f0', <NA>]
    """
    length = length or digits(salt)
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


def mask_all(text: object, names: Iterable[str] = ()) -> object:
    """Free text as every output shows it: e-mail addresses, ID numbers and phone numbers masked
    (:func:`mask_text`), then ``names`` (people the study names in config, the values of
    declared personal-data columns) replaced by ``[name]``. Anything but text is returned as is.

    >>> mask_all("Ask Zhang Wei at 13800138000", ["Zhang Wei"])
    'Ask [name] at [phone]'
    """
    if not isinstance(text, str):
        return text
    return mask_names(mask_text(text), names)


def quoted_examples(values: Iterable[object], names: Iterable[str] = (), *, most: int = 3, width: int = 20) -> str:
    """Up to ``most`` distinct raw values as an error message quotes them: masked as every output
    masks text (:func:`mask_all`), then cut to ``width`` characters, so that a phone number or a
    name typed into the wrong column reaches neither a log nor the console.

    >>> print(quoted_examples(["call 13912345678", "Zhang Wei", "x", "x"], ["Zhang Wei"]))
    'call [phone]', '[name]', 'x'
    """
    shown = dict.fromkeys(str(mask_all(str(value), names))[:width] for value in values)
    return ", ".join(repr(text) for text in list(shown)[:most])


def mask_column(values: pd.Series, names: Iterable[str] = ()) -> pd.Series:
    """:func:`mask_all` of every distinct text of a column (missing stays missing); the names are
    matched by one compiled pattern, longest first, so thousands of names cost one scan per text.

    >>> import pandas as pd
    >>> mask_column(pd.Series(["王小明 called", None, "mail a@b.cn"]), ["王小明"]).tolist()
    ['[name] called', nan, 'mail [email]']
    """
    listed = sorted({str(n).strip() for n in names if str(n).strip()}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, listed))) if listed else None
    unique = values.dropna().unique()
    if not len(unique):
        return values

    def one(text: object) -> object:
        if not isinstance(text, str):
            return text
        text = mask_text(text)
        return pattern.sub("[name]", text) if pattern else text

    return values.map({value: one(value) for value in unique})
