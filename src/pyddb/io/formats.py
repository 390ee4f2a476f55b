"""The item formats of DynamoDB's export to S3 and import from S3, as bytes and lines (no file opened here).

DYNAMODB_JSON (export data files; import; `pyddb dump`/`pyddb load`)
    One item per line: {"Item": {<name>: <AttributeValue>, ...}}\\n in DynamoDB JSON: B and BS values base64,
    N values as strings, no spaces, UTF-8 (DynamoDB developer guide, "DynamoDB table export output format":
    each line of a data file is one item; "Amazon S3 import formats for DynamoDB": "newlines are used as item
    delimiters"). `item_line` writes one; `parse_item_line` reads one into the wire form (B still base64),
    ready for api.dispatch(..., wire=True), which validates it as a request's Item.

CSV (import only; "Amazon S3 import formats for DynamoDB", CSV)
    The header is the first line unless a HeaderList is given ("If you define headers explicitly, the first
    line of the file will be imported as values"); the delimiter is one of , ; : | tab space (CsvDelimiter's
    pattern), "," by default; double quotes escape as "" (RFC 4180, the guide's "Escaping double quotes").
    "All columns other than the hash and range keys of your base table and secondary indexes are imported
    as DynamoDB strings": key columns take their AttributeDefinitions type (N as the text, B as base64 text).
    An empty cell is left out of the item (decision: DynamoDB's rule is not documented; an empty string
    is never a valid key and rarely what a blank cell means). A row with more cells than the header, or a
    line the csv module cannot read, is a FormatError.

ION (export data files; import; the Ion text itself is io/ion.py)
    One item per line: $ion_1_0 {Item:{...}}\n (DynamoDB developer guide, "DynamoDB table export output
    format", Amazon Ion). `ion_item_line` writes one; `ion_records` reads the records of an object's lines
    into the wire form (B as base64, N as text) or IonError(line, detail) for each bad record.

COMPRESSION (export data files are GZIP; an import's InputCompressionType is GZIP or NONE)
    `gzip_bytes` compresses a data file's body (mtime 0: the same items give the same bytes);
    `reader(stream, compression)` reads an object through its decompression, counting the uncompressed
    bytes read (ProcessedSizeBytes); `READ_ERRORS` are what a corrupt or cut-short GZIP object raises.

ERRORS: FormatError(kind, detail) with kind "json" (not JSON), "shape" (not {"Item": {...}}) or "csv";
ion.IonError(line, detail) for ION.
"""
from __future__ import annotations

import base64
import csv
import gzip
import json
import zlib
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from pyddb.io import ion

Item = Dict[str, Any]
IonError = ion.IonError


class FormatError(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


# ---- DynamoDB JSON -----------------------------------------------------------------------------------------


def _default(o: Any) -> Any:
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(o).decode("ascii")
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError("not JSON serializable: %s" % type(o).__name__)


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False, default=_default)
_ascii_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, check_circular=False,
                                  default=_default)


def item_line(item: Item) -> bytes:
    """One DYNAMODB_JSON line for a stored item (B/BS as bytes): b'{"Item":{...}}\\n'. A string holding a
    lone surrogate (which has no UTF-8 form) makes the line \\u-escaped instead."""
    record = {"Item": item}
    try:
        return (_encoder.encode(record) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (_ascii_encoder.encode(record) + "\n").encode("ascii")


def _reject_constant(name: str) -> Any:
    raise ValueError("JSON has no %s" % name)


_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def parse_item_line(raw: bytes) -> Optional[Item]:
    """The item of one DYNAMODB_JSON line, in the wire form; None for a blank line; FormatError else."""
    if not raw.strip():
        return None
    try:
        record = _decoder.decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise FormatError("json", str(e)) from None
    if not isinstance(record, dict) or not isinstance(record.get("Item"), dict):
        raise FormatError("shape", 'expected {"Item": {...}}')
    return record["Item"]


# ---- ION ---------------------------------------------------------------------------------------------------

EXTENSIONS = {"DYNAMODB_JSON": ".json.gz", "ION": ".ion.gz"}      # an export's data file names


def ion_item_line(item: Item) -> bytes:
    """One ION export line for a stored item: b'$ion_1_0 {Item:{...}}\\n'."""
    return ion.item_line(item)


def ion_records(lines: Iterable[bytes]) -> Iterator[Union[Tuple[int, Item], "ion.IonError"]]:
    """(line number, wire item) for each record of an ION object read as binary lines, or an IonError."""
    return ion.records(lines)


# ---- CSV ---------------------------------------------------------------------------------------------------


def csv_rows(lines: Iterator[str], delimiter: str = ",",
             header: Optional[Sequence[str]] = None) -> Iterator[Tuple[int, Optional[Dict[str, str]]]]:
    """(line number, {column: cell}) for each record of a CSV text given as lines (keeping their line
    ends); the first record is the header unless `header` is given. A record that does not fit the header
    yields (line number, None) and reading goes on with the next record."""
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    columns: Optional[List[str]] = list(header) if header else None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield reader.line_num, None
            continue
        if not row or row == [""]:
            continue
        if columns is None:
            columns = row
            continue
        if len(row) > len(columns):
            yield reader.line_num, None
            continue
        yield reader.line_num, {c: v for c, v in zip(columns, row)}


def csv_item(row: Dict[str, str], key_types: Dict[str, str]) -> Item:
    """The wire item of a CSV row: key columns typed by `key_types` (name -> S/N/B), the rest as S; empty
    cells left out."""
    item: Item = {}
    for name, cell in row.items():
        if cell == "":
            continue
        item[name] = {key_types.get(name, "S"): cell}
    return item


def text_lines(binary: Iterator[bytes]) -> Iterator[str]:
    """Lines of UTF-8 text (line ends kept, as the csv module wants) from binary lines; a byte sequence
    that is not UTF-8 is replaced (U+FFFD) rather than stopping the read."""
    for line in binary:
        yield line.decode("utf-8", "replace")


# ---- compression -------------------------------------------------------------------------------------------

READ_ERRORS = (OSError, EOFError, zlib.error)     # not GZIP, or cut short


def gzip_bytes(data: bytes) -> bytes:
    """GZIP of `data` with no timestamp (an export's data file body)."""
    return gzip.compress(data, mtime=0)


def reader(raw, compression: str = "NONE") -> "CountingReader":
    """A binary stream over object `raw` ("GZIP": decompressed; "NONE": as is) that counts the bytes it
    hands out (`.count`). Reading a bad GZIP object raises one of READ_ERRORS."""
    return CountingReader(gzip.GzipFile(fileobj=raw) if compression == "GZIP" else raw)


class CountingReader:
    """A binary stream that counts the bytes read through it (ProcessedSizeBytes)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        data = self.raw.read1(n) if hasattr(self.raw, "read1") else self.raw.read(n)
        self.count += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def readline(self, limit: int = -1) -> bytes:
        line = self.raw.readline(limit)
        self.count += len(line)
        return line
