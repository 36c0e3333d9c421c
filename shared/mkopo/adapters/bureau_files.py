"""Where the credit-bureau submission lands: a local folder, or a Cloud Storage object (JSON API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from mkopo.service.errors import TransientFailure

_UPLOAD = "https://storage.googleapis.com/upload/storage/v1/b/{bucket}/o"
_SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"


class FolderBureauSink:
    """Writes files into a folder (locally ``.run/bureau``); a rewrite replaces the file atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, name: str, content: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        partial = target.with_suffix(target.suffix + ".partial")
        partial.write_bytes(content)
        partial.replace(target)
        return str(target)


class GcsBureauSink:
    """Uploads to ``gs://bucket/name`` with the function's credentials (created on first upload)."""

    def __init__(self, bucket: str, timeout_s: float = 30.0) -> None:
        self.bucket, self.timeout_s = bucket, timeout_s
        self._credentials: Any = None

    def _token(self) -> str:
        import google.auth
        from google.auth.transport.requests import Request

        if self._credentials is None:
            self._credentials, _ = google.auth.default(scopes=[_SCOPE])
        if not self._credentials.valid:
            self._credentials.refresh(Request())
        return str(self._credentials.token)

    def write(self, name: str, content: bytes) -> str:
        try:
            reply = httpx.post(
                _UPLOAD.format(bucket=quote(self.bucket, safe="")),
                params={"uploadType": "media", "name": name},
                content=content,
                headers={"authorization": f"Bearer {self._token()}", "content-type": "text/csv"},
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise TransientFailure(f"Cloud Storage upload of {name} failed: {exc}") from exc
        if reply.status_code >= 300:
            raise TransientFailure(f"Cloud Storage refused {name}: {reply.status_code} {reply.text[:200]}")
        return f"gs://{self.bucket}/{name}"
