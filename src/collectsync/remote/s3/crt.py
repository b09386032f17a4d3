"""File uploads and server-side copies through the AWS Common Runtime's S3 client, when
``awscrt`` is installed (the ``crt`` extra): signing and HTTP in C, about a third of
botocore's CPU per PutObject and a quarter per CopyObject.

Only the upload pool's files and the copies go this way, and only where the request would be
the very one botocore sends: the same URL (taken from botocore's own endpoint resolution),
the same headers (from botocore's model of the operation), SigV4 with the same credentials.
Anything it can't say the same way (a proxy, a CA bundle, another signature version, a
parameter without a header) goes through botocore as before, as does every other request.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from botocore.exceptions import ReadTimeoutError

from collectsync.remote.s3.crt_wire import copied, copy_source, failure, header_list

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


class CrtClient:
    """One CRT S3 client for a bucket, sending PutObjects and CopyObjects the way ``client``
    would."""

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
        model = client.meta.service_model
        self._shapes: dict[str, StructureShape] = {}
        for operation in ("PutObject", "CopyObject"):
            shape = model.operation_model(operation).input_shape
            assert shape is not None  # both have parameters
            self._shapes[operation] = shape
        credentials = session.get_credentials()
        assert credentials is not None  # checked by crt_client_for

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

    def headers(
        self, parameters: Mapping[str, Any], operation: str = "PutObject"
    ) -> list[tuple[str, str]] | None:
        return header_list(self._shapes[operation], parameters)

    def put(self, key: str, path: Path, size: int, headers: list[tuple[str, str]]) -> str:
        """Send ``path`` as ``key``, once; its ETag. Fails as botocore would: ClientError for
        an error answer, one of its connection errors for none."""
        from awscrt import http, s3

        target = self.base_path + quote(key, safe="/~")
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
        self._ended(request, target, "PutObject")
        return answer.get("etag", "")

    def copy(self, key: str, source: str, headers: list[tuple[str, str]]) -> str:
        """Copy ``source`` to ``key`` in the bucket, once; the copy's ETag. Fails as botocore
        would, also where S3 answers 200 with an error in the body, as CopyObject may."""
        from awscrt import http, s3

        target = self.base_path + quote(key, safe="/~")
        named = copy_source(self.bucket, source)
        sent = http.HttpHeaders([("Host", self.host), ("Content-Length", "0"), named, *headers])
        body: list[bytes] = []
        request = self._client.make_request(
            type=s3.S3RequestType.DEFAULT,
            operation_name="CopyObject",
            request=http.HttpRequest("PUT", target, sent),
            on_body=lambda chunk, **kwargs: body.append(chunk),
        )
        self._ended(request, target, "CopyObject")
        return copied(b"".join(body))

    def _ended(self, request: Any, target: str, operation: str) -> None:
        url = f"{self.scheme}://{self.host}{target}"
        try:
            # The CRT tells nothing of a request until it ends (not when its body is sent,
            # after which botocore's read timeout would start): it gets both timeouts.
            request.finished_future.result(self.connect_timeout + self.read_timeout)
        except TimeoutError as error:
            request.cancel()
            request.finished_future.exception()  # wait until the CRT lets go of the file
            raise ReadTimeoutError(endpoint_url=url) from error
        except Exception as error:
            raise failure(error, url, operation) from error


def crt_client_for(
    client: S3Client,
    session: Session,
    bucket: str,
    *,
    verify: Any,
    connect_timeout: float,
    read_timeout: float,
) -> CrtClient | None:
    """The CRT's client for ``bucket`` where its requests would be botocore's very ones; else
    None."""
    config = client.meta.config
    if (
        not available()
        or session.get_credentials() is None
        or getattr(config, "signature_version", None) not in (None, "s3v4", "v4")
        or getattr(config, "proxies", None)
        or verify not in (None, True)
    ):
        return None
    crt = CrtClient(
        client,
        session,
        bucket,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return crt if crt.service == "s3" else None
