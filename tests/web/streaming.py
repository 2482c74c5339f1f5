"""Send a multipart upload through the real WSGI handler from a stream that counts what was read.

The test client builds the whole body in memory; this does not: the file's bytes are generated as
the server reads them, so a test can send "200 MB" and assert how little the server read.
"""

from __future__ import annotations

import io
from typing import Any

from django.test import Client

BOUNDARY = "QingtingTestBoundary7MA4YWxkTrZu0gW"


class CountingBody(io.RawIOBase):
    """``head`` + ``size`` filler bytes + ``tail``, produced on demand; ``read_bytes`` counts reads."""

    def __init__(self, head: bytes, size: int, tail: bytes, filler: bytes = b"x") -> None:
        self.parts = [(head, len(head)), (filler, size), (tail, len(tail))]
        self.total = len(head) + size + len(tail)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.total - self.read_bytes)
        out = bytearray()
        off, start = self.read_bytes, 0
        for data, length in self.parts:
            end = start + length
            if off < end and len(out) < want:
                take = min(end - off, want - len(out))
                out += data[off - start : off - start + take] if len(data) == length else data * take
                off += take
            start = end
        buffer[: len(out)] = out
        self.read_bytes += len(out)
        return len(out)


def post_streamed(
    client: Client, path: str, *, fields: dict[str, str], file_field: str, file_name: str, size: int, head: bytes = b""
) -> tuple[Any, CountingBody]:
    """POST ``fields`` and a file of ``size`` bytes (starting with ``head``); (response, body read)."""
    pre = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    )
    pre += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = CountingBody(pre.encode() + head, size - len(head), f"\r\n--{BOUNDARY}--\r\n".encode())
    environ = client._base_environ(  # the client's cookies (session) and defaults
        REQUEST_METHOD="POST",
        PATH_INFO=path,
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.total),
        **{"wsgi.input": io.BufferedReader(body)},
    )
    return client.handler(environ), body
