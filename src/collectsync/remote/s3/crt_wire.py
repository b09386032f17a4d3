"""What the CRT's requests say and what its answers mean, in botocore's terms: the headers
botocore would send for an operation's parameters, and the exception botocore would raise
for the same answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.etree import ElementTree

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    HTTPClientError,
)

if TYPE_CHECKING:
    from botocore.model import StructureShape


def header_list(
    shape: StructureShape, parameters: Mapping[str, Any]
) -> list[tuple[str, str]] | None:
    """The HTTP headers botocore sends for ``parameters`` of the operation whose input is
    ``shape``; None if one of them is not a plain header (a body, a date, the URI)."""
    headers: list[tuple[str, str]] = []
    for name, value in parameters.items():
        member = shape.members.get(name)
        if member is None:
            return None
        where, called = member.serialization.get("location"), member.serialization.get("name", "")
        if where == "headers" and isinstance(value, Mapping):
            headers += [(f"{called}{key}", str(item)) for key, item in value.items()]
        elif where == "header" and isinstance(value, str | bool | int):
            headers.append((called, str(value).lower() if isinstance(value, bool) else str(value)))
        else:
            return None
    return headers


CLOSED = {"AWS_IO_SOCKET_CLOSED", "AWS_ERROR_HTTP_CONNECTION_CLOSED", "AWS_IO_BROKEN_PIPE"}
UNREACHABLE = {
    "AWS_IO_SOCKET_CONNECTION_REFUSED",
    "AWS_IO_SOCKET_TIMEOUT",
    "AWS_IO_SOCKET_NO_ROUTE_TO_HOST",
    "AWS_IO_SOCKET_NETWORK_DOWN",
}
ANSWERS = {
    # The CRT keeps neither the status nor the body of these; S3 documents them so.
    "AWS_ERROR_S3_SLOW_DOWN": (503, "SlowDown", "Please reduce your request rate."),
    "AWS_ERROR_S3_INTERNAL_ERROR": (500, "InternalError", "We encountered an internal error."),
}


def copy_source(bucket: str, key: str) -> tuple[str, str]:
    """The header naming a CopyObject's source, encoded as botocore encodes it."""
    return "x-amz-copy-source", quote(f"{bucket}/{key}", safe="/~")


def failure(error: Exception, url: str, operation: str = "PutObject") -> Exception:
    """What botocore would raise for the same outcome of an ``operation`` on ``url``."""
    name = getattr(error, "name", "")
    status, code, message = ANSWERS.get(name, (getattr(error, "status_code", None) or 0, "", ""))
    said = s3_error(xml(getattr(error, "body", None) or b""))
    if status < 300 and said is None:
        if name in CLOSED:
            return ConnectionClosedError(endpoint_url=url)
        if name in UNREACHABLE or name.startswith("AWS_IO_DNS"):
            return EndpointConnectionError(endpoint_url=url)
        return HTTPClientError(error=error)
    code, message = said or (code, message)  # else no body, or not S3's: the status says it
    headers = dict(getattr(error, "headers", None) or [])
    return answered(operation, 500 if status < 300 else status, code, message, headers)


def copied(body: bytes) -> str:
    """The ETag of a CopyObject's answer; ClientError if it is an error in a 200 answer (the
    CRT tells of those itself; this is in case it one day doesn't)."""
    root = xml(body)
    said = s3_error(root)
    if root is None or said is not None:
        code, message = said or ("InternalError", "")
        raise answered("CopyObject", 500, code, message, {})
    return (root.findtext("{*}ETag") or root.findtext("ETag") or "").strip()


def xml(body: bytes) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None  # no body, or not XML


def s3_error(root: ElementTree.Element | None) -> tuple[str, str] | None:
    """The code and message of an S3 error document; None if ``root`` is not one."""
    if root is None or root.tag.rpartition("}")[2] != "Error":
        return None
    return root.findtext("Code") or "", root.findtext("Message") or ""


def answered(
    operation: str, status: int, code: str, message: str, headers: dict[str, str]
) -> ClientError:
    """botocore's ClientError for an error answer. An error in a 200 answer, which S3 may
    give a CopyObject, is given the status 500, as botocore gives it, so that it is retried."""
    parsed = {
        "Error": {"Code": code or str(status), "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
    }
    return ClientError(parsed, operation)  # type: ignore[arg-type]
