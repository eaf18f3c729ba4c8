"""Uploads go straight into the encrypted spool: no plaintext copy of a photo is ever on disk.

Werkzeug's default stream factory rolls any upload over 500 KB into an unnamed plaintext
temporary file before a view runs. ``SpoolingRequest`` replaces it, so every file part of a
multipart body is encrypted as it arrives (``tripposter.spool_stream``), and every file a request
opened is destroyed when the request ends, whether it succeeded, was refused, or broke off
half-way (a truncated body, a 413, a dropped connection).
"""

from __future__ import annotations

from typing import IO, Any

from flask import Request, current_app, request
from werkzeug.exceptions import BadRequest

from ...spool_stream import IncomingFile

# One photo per request. A cap also stops a body of a thousand tiny file parts from holding a
# thousand open files at once.
MAX_FILES = 1


class UploadRefusedError(Exception):
    """The request did not carry exactly one non-empty photo."""

    def __init__(self, user_message: str, code: str) -> None:
        super().__init__(user_message)
        self.user_message, self.code = user_message, code


class SpoolingRequest(Request):
    """A Flask request whose uploads stream into the spool, encrypted, and die with it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incoming: list[IncomingFile] = []

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if len(self.incoming) >= MAX_FILES:
            raise BadRequest("Send one photo at a time.")
        # The trip in the address, so a partial upload a crash cuts off is recorded against it.
        trip_id = (self.view_args or {}).get("trip_id")
        stream = current_app.extensions["tripposter.runtime"].spool.incoming(trip_id)
        self.incoming.append(stream)
        return stream  # type: ignore[return-value]

    def close(self) -> None:
        """Destroy every file this request received, including any the parser abandoned."""
        try:
            super().close()
        finally:
            for stream in self.incoming:
                stream.close()


def photo_bytes(field: str = "photo") -> bytes:
    """The one photo in this request, decrypted into memory; its spool file is destroyed at once.

    Raises:
        UploadRefusedError: no photo part, another part instead, or an empty file.
    """
    upload = request.files.get(field)  # the name the phone gave the file is never used
    if upload is None:
        raise UploadRefusedError("No photo arrived. Take or choose the photo again.", "no_photo")
    try:
        data = upload.stream.read()
    finally:
        upload.close()  # destroys the encrypted copy at once: from here the bytes live in memory only
    if not data:
        raise UploadRefusedError("The photo arrived empty. Take or choose the photo again.", "empty_photo")
    return data
