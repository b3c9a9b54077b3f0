"""What is wrong with a landing file, said so that its producer can fix it.

DuckDB's readers already find the problems (a ragged row, a value of the wrong type, broken
JSON); these helpers turn their messages into "<file>: line N, column "c": <reason>". Where
DuckDB's location is missing or wrong (its line for malformed JSON is one past the real one),
the file is re-read here, on the error path only, to find the exact line and column.
"""

import csv
import gzip
import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import duckdb


class LandingFileError(Exception):
    """A landing file that cannot be loaded as it is: bad header, wrong types, broken JSON.

    The file is quarantined; the message names it, where in it, and what to fix.
    """

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        line: int | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.url, self.reason, self.line, self.row, self.column = url, reason, line, row, column
        where = [f"line {line}"] if line else []
        where += [f"row {row}"] if row else []
        where += [f'column "{column}"'] if column else []
        super().__init__(f"{url}: {', '.join(where)}{': ' if where else ''}{reason}")

    def __reduce__(self):
        return (_rebuild, (self.url, self.reason, self.line, self.row, self.column))


def _rebuild(url, reason, line, row, column) -> LandingFileError:
    return LandingFileError(url, reason, line=line, row=row, column=column)


def open_text(path: Path) -> IO[str]:
    """The file as text, gunzipped by name, UTF-8 (a BOM is dropped), newlines kept as they are."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def check_readable(url: str, path: Path) -> None:
    """Raise for a file with no bytes at all, or a `.gz` file that does not decompress whole:
    corrupt or cut-off gzip data is the producer's to fix, and zlib's and DuckDB's own errors
    name neither the file nor the place."""
    if path.stat().st_size == 0:
        raise LandingFileError(
            url, "empty file (0 bytes): a file holds at least its columns", line=1
        )
    if not path.name.lower().endswith(".gz"):
        return
    lines = 0
    try:
        with gzip.open(path, "rb") as handle:
            for _ in handle:
                lines += 1
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise LandingFileError(
            url,
            f"corrupt gzip data from here on ({error}): compress the file again (gzip) and drop "
            "it again",
            line=lines + 1,
        ) from None


def check_line_lengths(url: str, path: Path, max_bytes: int) -> None:
    """Raise at the first line longer than `max_bytes`: DuckDB's JSON reader takes an object of
    any size that fits its buffer, so the limit CSV lines get from DuckDB is applied here."""
    with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if len(raw) > max_bytes:
                raise LandingFileError(
                    url,
                    f"the line is {len(raw)} bytes, longer than the maximum line size of "
                    f"{max_bytes} bytes: split the value, or raise LANDING_MAX_LINE_BYTES",
                    line=number,
                )


def csv_header(url: str, path: Path) -> list[str]:
    """The CSV header's column names, from the first line only (so a bad byte further down is
    reported by the reader at its own line, not here at line 1)."""
    with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as handle:
        raw = handle.readline()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LandingFileError(
            url, f"not valid UTF-8 (byte {error.start + 1}): save the file as UTF-8", line=1
        ) from None
    header = next(csv.reader([text]), None)
    if not header:
        raise LandingFileError(url, "empty file: a CSV file starts with its header", line=1)
    return [name.strip() for name in header]


def check_names(
    url: str,
    found: Sequence[str],
    declared: Sequence[str],
    *,
    source_name: str,
    line: int | None,
    require_all: bool,
) -> None:
    """Raise if the file's columns (CSV header, JSON keys, Parquet schema) break the contract."""
    repeated = sorted({name for name in found if list(found).count(name) > 1})
    unexpected = [name for name in dict.fromkeys(found) if name not in declared]
    missing = [name for name in declared if name not in found] if require_all else []
    problems = []
    if missing:
        problems.append(f"missing declared column(s) {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s) {', '.join(unexpected)}")
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise LandingFileError(
            url,
            "; ".join(problems)
            + f". Columns must match those declared for {source_name} in the dbt source YAML: "
            "fix the file, or declare the new column there.",
            line=line,
            column=(unexpected or missing or repeated)[0],
        )


_CSV_REASONS = (
    (re.compile(r'Error when converting column "[^"]+"\. (.+)'), r"\1"),
    (re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"), r"\2 fields, expected \1"),
    (re.compile(r"(Value with unterminated quote found\.)"), r"\1"),
    (re.compile(r"Invalid unicode .*detected\."), "not valid UTF-8: save the file as UTF-8"),
    (
        re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+) bytes"),
        r"the line is \2 bytes, longer than the maximum line size of \1 bytes: split the value, "
        "or raise LANDING_MAX_LINE_BYTES",
    ),
)


def csv_error(url: str, error: duckdb.Error) -> LandingFileError:
    """DuckDB's CSV reader error as a LandingFileError with its line and column."""
    message = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", message)
    column = re.search(r'converting column "([^"]+)"', message)
    reason = _first_line(message)
    for pattern, replacement in _CSV_REASONS:
        found = pattern.search(message)
        if found:
            reason = found.expand(replacement) if "\\" in replacement else replacement
            break
    return LandingFileError(
        url,
        reason,
        line=int(line.group(1)) if line else None,
        column=column.group(1) if column else None,
    )


def json_error(
    url: str,
    path: Path,
    error: duckdb.Error,
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[tuple[str, str]],
) -> LandingFileError:
    """DuckDB's JSON reader error as a LandingFileError with the exact line and column."""
    broken = first_malformed_json_line(path)
    if broken:
        line, column, reason = broken
        return LandingFileError(url, f"malformed JSON: {reason} (character {column})", line=line)
    message = str(error)
    at_line = re.search(r"in line (\d+): (.+)", message)
    if not at_line:
        return LandingFileError(url, _first_line(message))
    line = int(at_line.group(1))
    return LandingFileError(
        url, at_line.group(2).strip(), line=line, column=_bad_json_value(con, path, line, columns)
    )


def first_malformed_json_line(path: Path) -> tuple[int, int, str] | None:
    """(line, character, reason) of the first line that is not one JSON object, if any."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as decode_error:
                return number, decode_error.start + 1, "not valid UTF-8"
            if not text.strip():
                continue
            try:
                value = json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as decode_error:
                return number, decode_error.pos + 1, decode_error.msg
            if not isinstance(value, dict):
                return number, 1, f"expected a JSON object, found {type(value).__name__}"
    return None


def first_line_with_key(path: Path, key: str) -> int | None:
    with open_text(path) as handle:
        for number, text in enumerate(handle, 1):
            if text.strip() and key in json.loads(text):
                return number
    return None


def _bad_json_value(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    line: int,
    columns: Sequence[tuple[str, str]],
) -> str | None:
    """The first declared column whose value on that line does not cast to its type."""
    with open_text(path) as handle:
        for number, text in enumerate(handle, 1):
            if number == line:
                record = json.loads(text)
                break
        else:
            return None
    for name, data_type in columns:
        value = record.get(name)
        if value is None:
            continue
        literal = value if isinstance(value, str) else json.dumps(value)
        (failed,) = con.execute(f"select try_cast(? as {data_type}) is null", [literal]).fetchone()  # type: ignore[misc]
        if failed:
            return name
    return None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable file"
