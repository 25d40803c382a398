"""What a study's files may refer to and hold: plain YAML data, paths inside the study folder.

Study folders travel (a colleague's config, a client's export, an agency's interview project), so
their files are read as data from a stranger:

* :func:`load_study_yaml` reads a YAML file (config, codebook, any other) as plain data: text,
  numbers, true/false, null, dates, lists and mappings. Any other tag (``!!python/object``,
  ``!!binary``, ``!!set``, a local ``!tag``) and YTE's ``__use_yte__`` switch, with which Snakemake
  evaluates ``?`` values as Python while it reads a config file, are refused with the file and line.
  :func:`check_study_yaml` checks a file without building it, for the config before Snakemake
  reads it.
* :func:`study_path` resolves a path named in a study file (a waves-sheet cell, a ``documents.tsv``
  file name, a REFI-QDA ``plainTextPath``, the config's codebook) inside the study folder. Absolute
  paths, ``..`` that leaves the folder, URLs (``file://``, ``absolute://``), symbolic links that
  point outside and special files (FIFOs, devices, sockets) are refused with a message naming the
  file that referred to them. It is the one place this is decided; every reader calls it.

The module imports no pandas: the workflow calls it every time it parses its rules.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

import yaml

#: Tags a study's YAML may carry (explicitly, or as YAML resolves plain scalars): the standard
#: scalar and collection types, and merge keys (``<<``).
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge")
)
#: Top-level keys that switch Snakemake's YAML reader (YTE) into evaluating Python.
YTE_KEYS = ("__use_yte__",)
#: A URL scheme (``file://``, ``http://``, REFI-QDA's ``absolute://``) at the start of a path.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Bounds on what one study file may make a reader build, and what each bounds. A config of the
#: example study expands to about 1,500 YAML nodes, its workbook members to a ratio below 10; the
#: defaults leave legitimate files far below them and refuse a "billion laughs" YAML (9 levels of
#: 10 aliases: 10⁹ nodes) or a zip bomb (ratios of 1000 and more) before they are built.
LIMITS = {
    "yaml_nodes": (1_000_000, "nodes of a YAML file with its aliases expanded"),
    "archive_member_bytes": (1 << 30, "bytes of one member of a zip archive (xlsx, qdpx), uncompressed"),
    "archive_ratio": (200, "ratio of a zip member's uncompressed to compressed size (members over 1 MiB)"),
    "xml_bytes": (256 << 20, "bytes of one XML document (a REFI-QDA project.qde)"),
    "field_bytes": (64 << 20, "bytes of one field of a text table (CSV, TSV)"),
}


def limit(name: str) -> int:
    """The bound ``name`` of :data:`LIMITS`, or the value of ``SERVQUAL_LIMIT_<NAME>`` when set.

    Examples
    --------
    >>> limit("yaml_nodes")
    1000000
    """
    value = os.environ.get(f"SERVQUAL_LIMIT_{name.upper()}", "").strip()
    return int(value) if value.isdigit() else LIMITS[name][0]


def over_limit(name: str, where: str, found: str) -> StudyFileError:
    """The refusal of an input over the bound ``name``: what was found, the bound, how to raise it."""
    return StudyFileError(
        f"{where}: {found}, over the bound of {limit(name):,} {LIMITS[name][1]}; a file from an unknown "
        f"source that far over it is more likely built to exhaust the machine than a real export. If the "
        f"file is legitimate, raise the bound: set the environment variable SERVQUAL_LIMIT_{name.upper()} "
        "and run again."
    )


class StudyFileError(ValueError):
    """A study file that refers outside the study or holds more than plain data; the message names
    the file (and line) and what to change."""


# -- YAML ----------------------------------------------------------------------------------------
def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _where(path: str | Path, node: yaml.Node) -> str:
    return f"{path}, line {node.start_mark.line + 1}"


def _tag_fault(root: yaml.Node | None, path: str | Path) -> StudyFileError | None:
    """The refusal of YTE or of the first tag outside :data:`PLAIN_TAGS`, or None (each node
    visited once: aliases share nodes, so a file of nested aliases is walked in the size of its
    text). Faults are returned, not raised, here and in :func:`_expansion_fault`: a traceback
    that shows the arguments of its frames would print a node, that is the expanded document."""
    if root is None:
        return None
    if isinstance(root, yaml.MappingNode):
        for key, _ in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value in YTE_KEYS:
                return StudyFileError(
                    f"{_where(path, key)}: `{key.value}` makes Snakemake read the file as a YTE "
                    "template and run its `?` values as Python code; a study's YAML files hold "
                    "data only: remove the key (and write the values out)."
                )
    seen, todo = set(), [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            return StudyFileError(
                f"{_where(path, node)}: the YAML tag {_shown_tag(node.tag)} is not allowed; a "
                "study's YAML files hold plain data only (text, numbers, true/false, null, dates, "
                "lists and mappings): remove the tag."
            )
        if isinstance(node, yaml.MappingNode):
            todo.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return None


def _expansion_fault(root: yaml.Node | None, path: str | Path) -> StudyFileError | None:
    """The refusal of a document whose aliases expand to more than ``limit("yaml_nodes")`` nodes
    or that contains itself, or None.

    Aliases share nodes, so the file itself is small; whoever walks the built data (a schema
    validator, an error message printing the document) walks every copy. Sizes are summed per
    distinct node (children before parents), so the count costs the size of the text.
    """
    if root is None:
        return None
    bound, size, todo = limit("yaml_nodes"), {}, [(root, False)]
    while todo:
        node, done = todo.pop()
        if id(node) in size and not done:
            continue
        children = ([part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if not done:
            # Nodes begun but not summed are this one and its ancestors: an alias to one of
            # them makes the data contain itself, which no reader can walk to its end.
            size[id(node)] = None
            if any(id(child) in size and size[id(child)] is None for child in children):
                return StudyFileError(f"{_where(path, node)}: a YAML alias refers to a node that contains it "
                                     "(recursive data); write the values out.")
            todo.append((node, True))
            todo.extend((child, False) for child in children if id(child) not in size)
            continue
        total = 1 + sum(size[id(child)] for child in children)
        size[id(node)] = total
        if total > bound:
            return over_limit("yaml_nodes", _where(path, node), f"its aliases expand to {total:,} nodes or more")
    return None


def _compose(path: str | Path, text: str) -> tuple[Any, yaml.Node | None]:
    loader = _BaseLoader(text)
    try:
        return loader, loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        loader.dispose()
        mark = err.problem_mark or err.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise StudyFileError(f"{path}{line}: not valid YAML ({err.problem or err.context})") from None
    except yaml.YAMLError as err:
        loader.dispose()
        raise StudyFileError(f"{path}: not valid YAML ({err})") from None


def study_text(path: str | Path) -> str:
    """A study's text file (YAML, the waves sheet) as text: UTF-8, with or without a byte-order
    mark; anything else is refused naming the file and the line of the first byte that is not
    UTF-8, as is a NUL byte (a binary file saved under a text name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "waves.tsv"
    >>> _ = path.write_bytes("wave\\tnotes\\nwave1\\t春季\\n".encode("gbk"))
    >>> try:
    ...     study_text(path)
    ... except StudyFileError as err:
    ...     print(str(err).split(", ", 1)[1].split(";")[0])
    line 2: not UTF-8 text
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise StudyFileError(f"{path}: cannot read the file ({err.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise StudyFileError(f"{path}, line {line}: not UTF-8 text; save the file as UTF-8") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise StudyFileError(f"{path}, line {line}: a NUL byte: not a text file; save it as UTF-8 text")
    return text


def check_study_yaml(path: str | Path) -> None:
    """Refuse a YAML file that is more than plain data (see the module docstring), without
    building it: what the workflow runs on a config before Snakemake reads it.

    Raises
    ------
    StudyFileError
        Naming the file and the line of the first YTE key or tag that is not plain data.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "config.yaml"
    >>> _ = path.write_text("study: {title: x}\\nseed: !!python/object/apply:os.getpid []\\n")
    >>> try:
    ...     check_study_yaml(path)
    ... except StudyFileError as err:
    ...     print(str(err).split(";")[0].split(", ", 1)[1])
    line 2: the YAML tag !!python/object/apply:os.getpid is not allowed
    """
    loader, node = _compose(path, study_text(path))
    try:
        fault = _tag_fault(node, path) or _expansion_fault(node, path)
    finally:
        loader.dispose()
    if fault:
        raise fault


def load_study_yaml(path: str | Path) -> Any:
    """A study's YAML file as plain Python data (dicts, lists, text, numbers, bools, None, dates).

    Raises
    ------
    StudyFileError
        Invalid YAML, text that is not UTF-8, YTE's ``__use_yte__`` or a tag that is not plain
        data, naming the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codebook.yaml"
    >>> _ = path.write_text("codes: {queue: {dimensions: [responsiveness]}}\\n")
    >>> load_study_yaml(path)
    {'codes': {'queue': {'dimensions': ['responsiveness']}}}
    """
    loader, node = _compose(path, study_text(path))
    try:
        fault = _tag_fault(node, path) or _expansion_fault(node, path)
        if fault is None:
            return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as err:
        raise StudyFileError(f"{path}: not valid YAML ({err})") from None
    finally:
        loader.dispose()
    raise fault


def check_archive(source: str | Path | IO[bytes], where: str | Path) -> None:
    """Refuse a zip archive (xlsx, docx, qdpx) with a member over ``limit("archive_member_bytes")``
    uncompressed or, above 1 MiB, compressed more than ``limit("archive_ratio")`` times: a zip
    bomb, refused from its directory before any member is inflated. A file that is not a zip
    archive passes (its reader says what it is). The sizes checked are those the directory
    declares; Python's zip reader never inflates a member beyond its declared size.

    Examples
    --------
    >>> import io, zipfile
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    ...     archive.writestr("sheet.xml", b"0" * (8 << 20))
    >>> try:
    ...     check_archive(buffer, "survey.xlsx")
    ... except StudyFileError as err:
    ...     print(str(err).split(";")[0])  # doctest: +ELLIPSIS
    survey.xlsx: member sheet.xml inflates 8,388,608 bytes from ... (ratio ...), over the bound of 200 ...
    """
    import zipfile

    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    for member in members:
        if member.file_size > limit("archive_member_bytes"):
            raise over_limit("archive_member_bytes", str(where),
                             f"member {member.filename} inflates to {member.file_size:,} bytes")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1 << 20 and ratio > limit("archive_ratio"):
            raise over_limit("archive_ratio", str(where), f"member {member.filename} inflates "
                             f"{member.file_size:,} bytes from {member.compress_size:,} (ratio {ratio:,.0f})")


def unreadable_table(path: str | Path, error: Exception, what: str) -> StudyFileError:
    """The refusal of a text table that the CSV parser could not read, naming the file's line.

    pandas names a line in "Expected 4 fields in line 7, saw 5" (counted from 1, the header
    included) and a row in "EOF inside string starting at row 3" (counted from 0): both become
    ``<path>, line <n>``, with what to do.

    Examples
    --------
    >>> print(unreadable_table("a.csv", ValueError("C error: EOF inside string starting at row 3"), "table"))
    a.csv, line 4: a quoted field opens here and is never closed; close the quote (") or remove it, or export the table again.
    >>> print(unreadable_table("a.csv", ValueError("C error: Expected 4 fields in line 7, saw 5"), "table"))
    a.csv, line 7: 5 fields where the header has 4; check the delimiter and quotes of that line, or export the table again.
    """
    detail = (str(error).strip().splitlines() or [type(error).__name__])[-1]
    opened = re.search(r"EOF inside string starting at row (\d+)", detail)
    if opened:
        return StudyFileError(f"{path}, line {int(opened.group(1)) + 1}: a quoted field opens here and is never "
                              f'closed; close the quote (") or remove it, or export the {what} again.')
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if fields:
        return StudyFileError(f"{path}, line {fields.group(2)}: {fields.group(3)} fields where the header has "
                              f"{fields.group(1)}; check the delimiter and quotes of that line, or export the {what} again.")
    return StudyFileError(f"{path}: not a readable {what} ({detail}); check its delimiter and quotes, or export it again.")


# -- paths ---------------------------------------------------------------------------------------
def _refuse(referred_by: str, value: str, why: str) -> StudyFileError:
    return StudyFileError(
        f"{referred_by}: {value!r} {why}; a study's files may only name files inside the study "
        "folder, by a path relative to it (copy the file into the study folder)."
    )


def study_path(
    value: str | os.PathLike[str],
    *,
    referred_by: str,
    base: str | Path = ".",
    root: str | Path | None = None,
) -> Path:
    """Resolve a path named in a study file inside the study folder.

    Parameters
    ----------
    value
        The path as the study file gives it, relative to ``base``.
    referred_by
        Where the path was read (``"waves sheet config/waves.tsv, line 3, column survey"``); the
        message of a refusal starts with it.
    base
        Folder the path is relative to (the study folder, or the folder of the referring file).
    root
        The folder nothing may leave (default: ``base``). The workflow passes the study folder,
        its working directory.

    Returns
    -------
    pathlib.Path
        ``base / value`` with ``.`` and ``..`` folded, as written (not resolved), so that a file
        keeps the name the study gives it. It need not exist; where it does, it is a regular
        file or a folder.

    Raises
    ------
    StudyFileError
        An empty value, a URL (``file://``, ``absolute://``), an absolute path, ``..`` leaving
        ``root``, a symbolic link (anywhere along the path) leading outside ``root``, or a special
        file (FIFO, device, socket).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> study = pathlib.Path(tempfile.mkdtemp())
    >>> study_path("data/raw/../raw/w1.csv", referred_by="waves.tsv, line 2", base=study) == study / "data/raw/w1.csv"
    True
    >>> try:
    ...     study_path("../../etc/passwd", referred_by="waves.tsv, line 2", base=study)
    ... except StudyFileError as err:
    ...     print(str(err).split(";")[0])
    waves.tsv, line 2: '../../etc/passwd' leads out of the study folder (..)
    """
    text = os.fspath(value)
    shown = text.strip()
    if not shown:
        raise StudyFileError(f"{referred_by}: an empty path")
    if "\x00" in shown:
        raise _refuse(referred_by, shown, "holds a NUL character")
    if _SCHEME.match(shown):
        raise _refuse(referred_by, shown, "is a URL")
    if shown.startswith("~"):
        raise _refuse(referred_by, shown, "is a path in a home folder")
    if PurePosixPath(shown).is_absolute() or PureWindowsPath(shown).is_absolute() or PureWindowsPath(shown).drive:
        raise _refuse(referred_by, shown, "is an absolute path")
    base = Path(base)
    top = Path(root) if root is not None else base
    path = Path(os.path.normpath(base / shown))
    top_real, base_real = Path(os.path.realpath(top)), Path(os.path.realpath(base))
    lexical = Path(os.path.normpath(base_real / shown))
    if not lexical.is_relative_to(top_real):
        raise _refuse(referred_by, shown, "leads out of the study folder (..)")
    if not Path(os.path.realpath(path)).is_relative_to(top_real):
        raise _refuse(referred_by, shown, "is, or passes through, a symbolic link that leads out of the study folder")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as err:
        raise StudyFileError(f"{referred_by}: {shown!r} cannot be read ({err.strerror})") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(
            mode) else "a socket" if stat.S_ISSOCK(mode) else "a special file"
        raise StudyFileError(f"{referred_by}: {shown!r} is {kind}, not a regular file; name a regular file.")
    return path


def folder_entries(folder: str | Path, *, referred_by: str = "", root: str | Path | None = None) -> list[Path]:
    """The entries of a study folder, sorted, each checked by :func:`study_path` (a symbolic link
    out of the study, or a FIFO among transcripts, is refused naming the folder and who named it)."""
    folder = Path(folder)
    where = f"{referred_by}: in folder {folder}" if referred_by else f"folder {folder}"
    return [study_path(entry.name, referred_by=where, base=folder, root=root) for entry in sorted(folder.iterdir())]


#: Wave ids the workflow's own folders take: the cross-wave outputs sit beside the waves' own in
#: ``reports/`` and ``logs/``.
RESERVED_WAVE_IDS = {"waves": "reports/waves/ and logs/waves/ hold the cross-wave report and its log"}
#: Names Windows gives to devices: no folder can be called so there (in any letter case).
WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


def reserved_wave_id(wave: str) -> str | None:
    """Why a wave id cannot be used, or None. Letter case is ignored, as file systems on macOS
    and Windows ignore it (``Waves`` would write into ``reports/waves/``).

    Examples
    --------
    >>> reserved_wave_id("wave1") is None
    True
    >>> reserved_wave_id("Waves").split(":")[0]
    "wave id 'Waves' is reserved"
    """
    key = wave.casefold()
    why = RESERVED_WAVE_IDS.get(key) or ("Windows names a device so" if key in WINDOWS_DEVICES else None)
    if why is None:
        return None
    return f"wave id {wave!r} is reserved: {why}; give the wave another id (for example {wave}_1)."


def command_line_configs(argv: list[str]) -> list[str]:
    """The files a Snakemake command line passes with ``--configfile``/``--configfiles`` (also
    ``--configfile=x`` and unambiguous abbreviations such as ``--configf``).

    Examples
    --------
    >>> command_line_configs(["snakemake", "-n", "--configfile", "a.yaml", "b.yaml", "--cores", "1", "--configfiles=c.yaml"])
    ['a.yaml', 'b.yaml', 'c.yaml']
    """
    files, taking = [], False
    for arg in argv[1:]:
        if arg.startswith("-"):
            name, _, attached = arg.partition("=")
            taking = len(name) > len("--config") and "--configfiles".startswith(name)
            if taking and attached:
                files.append(attached)
                taking = False
        elif taking:
            files.append(arg)
    return files


def refuse_unsafe_command_line(argv: list[str] | None = None) -> None:
    """End the process when a ``--configfile`` of the command line is more than plain data.

    Snakemake reads these files while it parses its command line, before the workflow's own code
    runs; the workflow profile calls this function first (``profiles/default/config.yaml``), so a
    YTE template or a Python tag in such a file never reaches Snakemake's reader.
    """
    import sys

    faults = []
    for path in dict.fromkeys(command_line_configs(sys.argv if argv is None else argv)):
        if os.path.isfile(path):
            try:
                check_study_yaml(path)
            except StudyFileError as err:
                faults.append(str(err))
    if faults:
        sys.exit("\n".join(faults))
