"""File uploads through the AWS Common Runtime's S3 client, when ``awscrt`` is installed (the
``crt`` extra): signing and HTTP in C, about a third of botocore's CPU per PutObject.

Only the upload pool's files go this way, and only where the request would be the very one
botocore sends: the same URL (taken from botocore's own endpoint resolution), the same
headers (from botocore's model of PutObject), SigV4 with the same credentials. Anything it
can't say the same way (a proxy, a CA bundle, another signature version, a parameter without
a header) goes through botocore as before, as does every other request.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.etree import ElementTree

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.model import StructureShape
    from mypy_boto3_s3 import S3Client

PROBE = "collectsync-endpoint-probe"
LARGEST = 16 * 1024 * 1024
"""The CRT splits larger bodies into parts; collectsync's uploads stay single requests."""


def available() -> bool:
    """Whether an awscrt that can leave retries to collectsync is installed (0.38.1 on).
    Imported here, at the first upload, so that deploys that upload nothing don't."""
    try:
        from awscrt import s3
    except ImportError:  # the crt extra is not installed
        return False
    return hasattr(s3, "S3RetryMode")


class CrtUploads:
    """One CRT S3 client for a bucket, sending PutObjects the way ``client`` would."""

    def __init__(
        self,
        client: S3Client,
        session: Session,
        bucket: str,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        from awscrt import auth, io, s3

        url = urlsplit(
            client.generate_presigned_url("put_object", {"Bucket": bucket, "Key": PROBE})
        )
        # A SigV4 URL's credential scope names the region and service botocore signs for.
        scope = parse_qs(url.query).get("X-Amz-Credential", [""])[0]
        _, _, region, self.service, _ = scope.split("/") if scope else ("", "", "", "s3", "")
        region = region or client.meta.region_name or "us-east-1"
        self.bucket = bucket
        self.scheme, self.host = url.scheme, url.netloc
        self.base_path = url.path.removesuffix(PROBE)
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        shape = client.meta.service_model.operation_model("PutObject").input_shape
        assert shape is not None  # PutObject has parameters
        self._shape: StructureShape = shape
        credentials = session.get_credentials()
        assert credentials is not None  # checked by uploads_for

        def frozen() -> auth.AwsCredentials:
            now = credentials.get_frozen_credentials()
            return auth.AwsCredentials(now.access_key, now.secret_key, now.token)

        provider = auth.AwsCredentialsProvider.new_delegate(frozen)
        signing = auth.AwsSigningConfig(
            algorithm=auth.AwsSigningAlgorithm.V4,
            signature_type=auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
            credentials_provider=provider,
            region=region,
            service=self.service,
            signed_body_value=auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD,
            signed_body_header_type=auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256,
            use_double_uri_encode=False,
            should_normalize_uri_path=False,
        )
        loop = io.EventLoopGroup(2)
        self._client = s3.S3Client(
            bootstrap=io.ClientBootstrap(loop, io.DefaultHostResolver(loop)),
            region=region,
            signing_config=signing,
            tls_mode=s3.S3RequestTlsMode.ENABLED
            if url.scheme == "https"
            else s3.S3RequestTlsMode.DISABLED,
            part_size=LARGEST,
            multipart_upload_threshold=LARGEST,
            retry_config=s3.S3RetryConfig(retry_mode=s3.S3RetryMode.NONE),
            connect_timeout_ms=max(int(connect_timeout * 1000), 1),
        )

    def headers(self, parameters: Mapping[str, Any]) -> list[tuple[str, str]] | None:
        return header_list(self._shape, parameters)

    def put(self, key: str, path: Path, size: int, headers: list[tuple[str, str]]) -> str:
        """Send ``path`` as ``key``, once; its ETag. Fails as botocore would: ClientError for
        an error answer, one of its connection errors for none."""
        from awscrt import http, s3

        target = self.base_path + quote(key, safe="/~")
        url = f"{self.scheme}://{self.host}{target}"
        sent = http.HttpHeaders([("Host", self.host), ("Content-Length", str(size)), *headers])
        answer: dict[str, str] = {}

        def on_headers(status_code: int, headers: list[tuple[str, str]], **kwargs: Any) -> None:
            answer.update((name.lower(), value) for name, value in headers)

        request = self._client.make_request(
            type=s3.S3RequestType.PUT_OBJECT,
            request=http.HttpRequest("PUT", target, sent),
            send_filepath=str(path),
            on_headers=on_headers,
        )
        try:
            # The CRT tells nothing of a request until it ends (not when its body is sent,
            # after which botocore's read timeout would start): it gets both timeouts.
            request.finished_future.result(self.connect_timeout + self.read_timeout)
        except TimeoutError as error:
            request.cancel()
            request.finished_future.exception()  # wait until the CRT lets go of the file
            raise ReadTimeoutError(endpoint_url=url) from error
        except Exception as error:
            raise failure(error, url) from error
        return answer.get("etag", "")


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


def failure(error: Exception, url: str) -> Exception:
    """What botocore would raise for the same outcome of a PutObject to ``url``."""
    name = getattr(error, "name", "")
    status, code, message = ANSWERS.get(name, (getattr(error, "status_code", None) or 0, "", ""))
    if status < 300:
        if name in CLOSED:
            return ConnectionClosedError(endpoint_url=url)
        if name in UNREACHABLE or name.startswith("AWS_IO_DNS"):
            return EndpointConnectionError(endpoint_url=url)
        return HTTPClientError(error=error)
    try:
        root = ElementTree.fromstring(getattr(error, "body", None) or b"")
        code = root.findtext("Code") or code
        message = root.findtext("Message") or message
    except ElementTree.ParseError:
        pass  # no body, or not S3's: the status says it
    parsed = {
        "Error": {"Code": code or str(status), "Message": message},
        "ResponseMetadata": {
            "HTTPStatusCode": status,
            "HTTPHeaders": dict(getattr(error, "headers", None) or []),
        },
    }
    return ClientError(parsed, "PutObject")  # type: ignore[arg-type]


def uploads_for(
    client: S3Client,
    session: Session,
    bucket: str,
    *,
    verify: Any,
    connect_timeout: float,
    read_timeout: float,
) -> CrtUploads | None:
    """The CRT's uploads for ``bucket`` where they would be botocore's very requests; else None."""
    config = client.meta.config
    if (
        not available()
        or session.get_credentials() is None
        or getattr(config, "signature_version", None) not in (None, "s3v4", "v4")
        or getattr(config, "proxies", None)
        or verify not in (None, True)
    ):
        return None
    uploads = CrtUploads(
        client,
        session,
        bucket,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return uploads if uploads.service == "s3" else None
