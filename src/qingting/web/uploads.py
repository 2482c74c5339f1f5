"""Upload limits enforced while the request body streams in, not after it has been read.

Django reads a whole multipart body before a view runs (the CSRF check asks for ``request.POST``),
so a size check in a form or a view comes after 200 MB have been received and written to disk.
:class:`LimitedUploadHandler` is first in ``FILE_UPLOAD_HANDLERS``: it counts each file's bytes as
they arrive and stops reading the request the moment one passes the limit of the view the URL
resolved to (:func:`upload_limit`; ``QINGTING_UPLOAD_MAX_BYTES`` for any other view). The fields
sent before the file (the CSRF token among them) are kept, the file is dropped, and the view finds
the reason in :func:`refusal` — to answer "x.pdf is over the limit of 10.0 MB", not "no file".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.translation import gettext as _

F = TypeVar("F", bound=Callable[..., Any])

MAX_NAME_CHARS = 200
"""One limit for a stored file's name (attachments, evidence, imports), checked with a clear error."""


def upload_limit(limit: Callable[[], int]) -> Callable[[F], F]:
    """Mark a view as taking files of at most ``limit()`` bytes each (read at request time)."""

    def mark(view: F) -> F:
        view.upload_max_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


def default_limit() -> int:
    return int(getattr(settings, "QINGTING_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def limit_for(request: HttpRequest) -> int:
    match = getattr(request, "resolver_match", None)
    limit = getattr(getattr(match, "func", None), "upload_max_bytes", None)
    return int(limit()) if callable(limit) else default_limit()


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def refusal(request: HttpRequest) -> str | None:
    """Why an upload in this request was dropped while streaming, or ``None``."""
    if request.method == "POST":
        request.FILES  # noqa: B018 — reading the body is what runs the handler (lazy without CSRF middleware)
    return getattr(request, "_qingting_upload_refused", None)


def name_problem(name: str) -> str | None:
    """A message when a file name is too long to store whole, else ``None``."""
    if len(name) > MAX_NAME_CHARS:
        return _("The file name has %(n)d characters; the limit is %(limit)d. Rename the file and try again.") % {
            "n": len(name),
            "limit": MAX_NAME_CHARS,
        }
    return None


class LimitedUploadHandler(FileUploadHandler):
    """Stops reading the request when a file passes its view's limit (see the module's docstring)."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        assert self.request is not None  # Django always passes the request to its upload handlers
        self.limit = limit_for(self.request)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        # Django cuts names to 255 characters when it stores the upload: count the name as sent.
        problem = name_problem(str(self.file_name or ""))
        if problem:
            self.request._qingting_upload_refused = problem  # type: ignore[union-attr]
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request._qingting_upload_refused = _(  # type: ignore[union-attr]
                "“%(name)s” is larger than the limit of %(limit)s; it was not received."
            ) % {"name": self.file_name, "limit": size_text(self.limit)}
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
