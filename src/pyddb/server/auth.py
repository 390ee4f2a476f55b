"""Who may call the server: any credentials from loopback peers (the default), or AWS Signature Version 4.

Two policies, one interface, `check(request)`, which returns or raises a DynamoDBError:

    OpenAccess(loopback_only=True)   `pyddb serve` without --auth. Like DynamoDB Local, any credentials are
                                     accepted; unlike it, only from loopback peers (a non-loopback peer gets
                                     UnrecognizedClientException). The request must still carry an
                                     Authorization header of the SigV4 form, as DynamoDB requires.
    SigV4Access({key_id: secret})    `pyddb serve --auth KEY:SECRET ...`: the signature is verified for one
                                     of the configured keys, signing name "dynamodb", any region.

ORDER OF CHECKS (dynalite index.js: its comments record DynamoDB's answer at each step, in this order)
    both `Authorization` and `X-Amz-Algorithm` in the query   InvalidSignature  "Found both ..."
    neither, or a header not starting with "AWS4-"            MissingAuthenticationToken
    missing Credential / Signature / SignedHeaders / date      IncompleteSignature (one text listing all)
    ----- the open policy stops here (then: loopback peer, else UnrecognizedClient) -----
    date not ISO-8601 basic                                    IncompleteSignature "Date must be in ..."
    date outside now +- 15 min                                 InvalidSignature "Signature expired: ..." /
                                                               "Signature not yet current: ..."
    `host` not among SignedHeaders                             InvalidSignature
    algorithm other than AWS4-HMAC-SHA256                      IncompleteSignature "Unsupported AWS ..."
    Credential not 5 slash-delimited parts                     IncompleteSignature
    scope: service != dynamodb, terminator != aws4_request,
           date != the request date's YYYYMMDD                 InvalidSignature (texts joined)
    unknown access key id                                      UnrecognizedClient
    x-amz-content-sha256 present and not the body's SHA-256    InvalidSignature (text not confirmed)
    signature mismatch                                         InvalidSignature, with the canonical request
                                                               and string to sign, as DynamoDB appends them

SIGNATURE (AWS General Reference, "Create a signed AWS API request"; botocore auth.py SigV4Auth)
    canonical request = METHOD \\n URI \\n QUERY \\n "name:value\\n" per signed header \\n SIGNED;HEADERS \\n
                        hex(sha256(body as sent))
        URI   the request path, dot segments removed, URI-encoded once more (non-S3 services double-encode)
        QUERY the pairs sorted, each key and value RFC 3986-encoded; X-Amz-Signature left out
        value header values trimmed, inner runs of spaces collapsed, repeated headers joined by ','
    string to sign    = "AWS4-HMAC-SHA256" \\n YYYYMMDDTHHMMSSZ \\n date/region/dynamodb/aws4_request \\n
                        hex(sha256(canonical request))
    signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "dynamodb"), "aws4_request")
    The body hashed is the body as sent (still gzip-compressed when Content-Encoding says so).
"""
from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import ipaddress
import re
import time
from email.utils import mktime_tz, parsedate_tz
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import quote, unquote

from pyddb.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "dynamodb"
MAX_SKEW_SECONDS = 15 * 60
_ISO_BASIC = re.compile(r"^\d{8}T\d{6}Z$")
_QUERY_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders",
                 "X-Amz-Date")

# Texts DynamoDB sends that pyddb.errors has no constructor for (dynalite index.js comments, recorded against
# DynamoDB; "not yet current": a DeleteItem error quoted in a public test file, and AWS's other services).
BOTH_AUTH_KINDS = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
DATE_FORMAT = "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601"
NOT_YET_CURRENT = "Signature not yet current: %s is still later than %s (%s + 15 min.)"
HOST_NOT_SIGNED = "'Host' must be a 'SignedHeader' in the AWS Authorization."
UNSUPPORTED_ALGORITHM = "Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). "
CREDENTIAL_PARTS = ("Credential must have exactly 5 slash-delimited elements, "
                    "e.g. keyid/date/region/service/term, got '%s'")
SCOPE_REGION = "Credential should be scoped to a valid region, not '%s'. "
SCOPE_SERVICE = "Credential should be scoped to correct service: 'dynamodb'. "
SCOPE_TERMINATOR = "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. "
SCOPE_DATE = ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
              "'%s' != '%s', from '%s'.")
QUERY_MISSING = "AWS query-string parameters must include '%s'. "
QUERY_REEXAMINE = "Re-examine the query-string parameters."
CONTENT_SHA256_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."


@functools.lru_cache(maxsize=1024)
def is_loopback(host: Optional[str]) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback. No peer address (a Unix socket, a test) counts as local."""
    if host is None:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


class AuthRequest:
    """What a SigV4 check reads from a request: split out of protocol.Request so auth has no I/O types."""

    __slots__ = ("date", "header", "kind", "params", "path", "query_pairs")

    def __init__(self, kind: str, params: Dict[str, str], header: str, date: Optional[str],
                 query_pairs: List[Tuple[str, str]], path: str) -> None:
        self.kind = kind              # "header" | "query"
        self.params = params          # Credential, Signature, SignedHeaders, Algorithm
        self.header = header          # the Authorization header as sent ("" for query auth)
        self.date = date              # X-Amz-Date (or the Date header) as sent
        self.query_pairs = query_pairs
        self.path = path


def _split_url(url: str) -> Tuple[str, List[Tuple[str, str]]]:
    if url == "/":
        return url, []
    path, _, query = url.partition("?")
    pairs = []
    if query:
        for part in query.split("&"):
            if part:
                k, _, v = part.partition("=")
                pairs.append((unquote(k), unquote(v)))
    return path or "/", pairs


def parse_authorization(request) -> AuthRequest:
    """The checks every policy makes (DynamoDB requires a SigV4-shaped request even when it signs nothing)."""
    headers = request.headers
    header = headers.get("authorization")
    path, pairs = _split_url(request.url)
    query = dict(pairs) if pairs else {}
    query_auth = "X-Amz-Algorithm" in query
    if header is not None and query_auth:
        raise InvalidSignatureException(BOTH_AUTH_KINDS)
    if (header is None and not query_auth) or (header is not None and header.strip()[:5] != "AWS4-"):
        raise MissingAuthenticationTokenException()
    if header is not None:
        tokens = header.strip().replace(",", " ").split(" ")
        params = {}
        for t in tokens[1:]:
            if t:
                k, _, v = t.partition("=")
                params[k] = v
        params["Algorithm"] = tokens[0] if tokens else ""
        date = headers.get("x-amz-date") or headers.get("date")
        missing = [p for p in ("Credential", "Signature", "SignedHeaders") if not params.get(p)]
        if missing or not date:
            raise IncompleteSignatureException.missing_parts(missing, bool(date), header)
        return AuthRequest("header", params, header, date, pairs, path)
    msg = "".join(QUERY_MISSING % p for p in _QUERY_PARAMS if not query.get(p))
    if msg:
        raise IncompleteSignatureException(msg + QUERY_REEXAMINE)
    params = {"Algorithm": query["X-Amz-Algorithm"], "Credential": query["X-Amz-Credential"],
              "Signature": query["X-Amz-Signature"], "SignedHeaders": query["X-Amz-SignedHeaders"]}
    return AuthRequest("query", params, "", query["X-Amz-Date"], pairs, path)


class OpenAccess:
    """Any credentials; with loopback_only, only from loopback peers."""

    def __init__(self, loopback_only: bool = True) -> None:
        self.loopback_only = loopback_only

    def check(self, request) -> None:
        headers = request.headers
        header = headers.get("authorization")
        if (header is None or "?" in request.url
                or (_PLAIN_SIGV4_ASCII if header.isascii() else _PLAIN_SIGV4_HEADER).fullmatch(header) is None
                or not (headers.get("x-amz-date") or headers.get("date"))):
            parse_authorization(request)        # the full checks, raising what DynamoDB answers
        if self.loopback_only and not is_loopback(request.peer):
            raise UnrecognizedClientException()


# The Authorization header as the SDKs write it (botocore: "AWS4-HMAC-SHA256 Credential=...,
# SignedHeaders=..., Signature=..."). A header that matches it, with a date and no query string, is one
# parse_authorization accepts (no surrounding whitespace, so strip() keeps it whole; "AWS4-" first;
# Credential, SignedHeaders and Signature tokens each with a non-empty value), so OpenAccess skips that
# parse (~0.7 us instead of ~2.4 us); anything else goes through it
# (test_open_access_answers_as_parse_authorization_does).
_PLAIN_SIGV4 = "AWS4-{0}* Credential={0}+, ?SignedHeaders={0}+, ?Signature={0}+"    # {0}: a token character
_PLAIN_SIGV4_HEADER = re.compile(_PLAIN_SIGV4.format(r"[^\s,]"))
# The same for an ASCII header, whose whitespace (str.isspace) is exactly these characters: a set of ASCII
# characters matches faster than the Unicode category \s (0.55 us instead of 0.95 us a header).
_ASCII_TOKEN = "[^\t\n\x0b\x0c\r\x1c-\x1f ,]"
_PLAIN_SIGV4_ASCII = re.compile(_PLAIN_SIGV4.format(_ASCII_TOKEN))


def _fmt(t: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def _parse_date(value: str) -> Tuple[float, str]:
    """(epoch seconds, ISO-8601 basic form) of X-Amz-Date, or of an RFC 1123 Date header."""
    if _ISO_BASIC.match(value):
        try:
            return float(calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ"))), value
        except ValueError:
            pass
    else:
        parsed = parsedate_tz(value)
        if parsed is not None:
            t = float(mktime_tz(parsed))
            return t, _fmt(t)
    raise IncompleteSignatureException(DATE_FORMAT % value)


def _header_value(value: str) -> str:
    return " ".join(value.split())


def _remove_dot_segments(path: str) -> str:
    # botocore auth._normalize_url_path / RFC 3986 5.2.4, keeping a trailing slash
    if not path:
        return "/"
    out: List[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    norm = "/" + "/".join(out)
    if path.endswith("/") and norm != "/":
        norm += "/"
    return norm


def canonical_request(method: str, path: str, query_pairs: List[Tuple[str, str]], headers: Dict[str, str],
                      signed_headers: str, payload_hash: str, skip_signature: bool) -> str:
    uri = quote(_remove_dot_segments(path), safe="/~")
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in query_pairs
                   if not (skip_signature and k == "X-Amz-Signature"))
    query = "&".join("%s=%s" % kv for kv in pairs)
    names = signed_headers.split(";")
    lines = "".join("%s:%s\n" % (n, _header_value(headers.get(n, ""))) for n in names)
    return "\n".join([method, uri, query, lines, signed_headers, payload_hash])


class SigV4Access:
    """Requests must be signed (SigV4, service "dynamodb", any region) with one of `keys` (id -> secret)."""

    def __init__(self, keys: Dict[str, str], clock: Callable[[], float] = time.time,
                 max_skew: int = MAX_SKEW_SECONDS) -> None:
        if not keys:
            raise ValueError("SigV4Access needs at least one key")
        self.keys = dict(keys)
        self.clock = clock
        self.max_skew = max_skew
        self._signing_keys: Dict[Tuple[str, str, str], bytes] = {}

    def _signing_key(self, secret: str, date: str, region: str) -> bytes:
        k = (secret, date, region)
        key = self._signing_keys.get(k)
        if key is None:
            key = ("AWS4" + secret).encode("utf-8")
            for part in (date, region, SERVICE, "aws4_request"):
                key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
            if len(self._signing_keys) > 4096:
                self._signing_keys.clear()
            self._signing_keys[k] = key
        return key

    def check(self, request) -> None:
        a = parse_authorization(request)
        signed_at, amz_date = _parse_date(a.date or "")
        now = self.clock()
        if signed_at < now - self.max_skew:
            raise InvalidSignatureException.expired(amz_date, _fmt(now - self.max_skew), _fmt(now))
        if signed_at > now + self.max_skew:
            latest = _fmt(now + self.max_skew)
            raise InvalidSignatureException(NOT_YET_CURRENT % (amz_date, latest, _fmt(now)))
        signed_headers = a.params["SignedHeaders"]
        if "host" not in signed_headers.lower().split(";"):
            raise InvalidSignatureException(HOST_NOT_SIGNED)
        if a.params["Algorithm"] != ALGORITHM:
            raise IncompleteSignatureException(UNSUPPORTED_ALGORITHM % a.params["Algorithm"])
        credential = a.params["Credential"].rstrip("/")
        parts = credential.split("/")
        if len(parts) != 5:
            raise IncompleteSignatureException(CREDENTIAL_PARTS % credential)
        key_id, scope_date, region, service, terminator = parts
        msg = ""
        if not region:
            msg += SCOPE_REGION % region
        if service != SERVICE:
            msg += SCOPE_SERVICE
        if terminator != "aws4_request":
            msg += SCOPE_TERMINATOR % terminator
        if scope_date != amz_date[:8]:
            msg += SCOPE_DATE % (scope_date, amz_date[:8], amz_date)
        if msg:
            raise InvalidSignatureException(msg.rstrip())
        secret = self.keys.get(key_id)
        if secret is None:
            raise UnrecognizedClientException()
        body_hash = hashlib.sha256(request.body).hexdigest()
        declared = request.headers.get("x-amz-content-sha256")
        if declared is not None and declared != body_hash:
            raise InvalidSignatureException(CONTENT_SHA256_MISMATCH)
        creq = canonical_request(request.method, a.path, a.query_pairs, request.headers,
                                 signed_headers, body_hash, a.kind == "query")
        scope = "/".join(parts[1:])
        sts = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])
        expected = hmac.new(self._signing_key(secret, scope_date, region), sts.encode("utf-8"),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, a.params["Signature"]):
            raise InvalidSignatureException.signature_mismatch(creq, sts)


def parse_key_pair(text: str) -> Tuple[str, str]:
    """'KEY:SECRET' -> (key, secret); the secret may itself hold ':'."""
    key, sep, secret = text.partition(":")
    if not sep or not key or not secret:
        raise ValueError("expected KEY:SECRET, got %r" % text)
    return key, secret
