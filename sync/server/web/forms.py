"""Reading what a browser posts, within bounds: the body is read in chunks and never held past
its limit, whatever Content-Length says.

Starlette's own parsers (python-multipart underneath) do the parsing, but they are fed a stream
that stops at the limit: past it the rest of the body is read and thrown away (so the browser
gets the page that says why instead of a reset connection) up to DRAIN_BYTES, and the form
comes back marked ``too_large`` with nothing in it. An uploaded file is spooled by Starlette
(to disk past 1 MB) and read back here in one bounded read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

MAX_FORM_BYTES = 512 * 1024  # a policy file is a few KB; every other form far less
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a school's catalogue is a few MB; 20 MB is a MARC file
DRAIN_BYTES = 256 * 1024 * 1024  # past this, stop reading and let the connection close
MAX_FIELDS = 20


class _TooLargeError(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None
    too_large: bool = False  # the body was over its limit: nothing of it was kept
    malformed: bool = False

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)


async def _bounded(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    stream = request.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            async for rest in stream:  # read on without keeping anything, up to DRAIN_BYTES
                size += len(rest)
                if size > DRAIN_BYTES:
                    break
            raise _TooLargeError
        yield chunk


async def read_form(request: Request, *, upload: bool = False) -> Form:
    """The posted fields (first value of each), and with ``upload`` one file.

    A body over MAX_FORM_BYTES (MAX_UPLOAD_BYTES with ``upload``) yields ``too_large``.
    """
    limit = MAX_UPLOAD_BYTES + MAX_FORM_BYTES if upload else MAX_FORM_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_BYTES:
        return Form(too_large=True)  # do not even drain this one
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parser: FormParser | MultiPartParser
    if media == "application/x-www-form-urlencoded":
        parser = FormParser(
            request.headers,
            _bounded(request, limit),
            max_fields=MAX_FIELDS,
            max_part_size=MAX_FORM_BYTES,
        )
    elif media == "multipart/form-data":
        parser = MultiPartParser(
            request.headers,
            _bounded(request, limit),
            max_files=1 if upload else 0,
            max_fields=MAX_FIELDS,
            max_part_size=MAX_FORM_BYTES,
        )
    else:
        return Form(malformed=True)
    try:
        parsed = await parser.parse()
    except _TooLargeError:
        return Form(too_large=True)
    except MultiPartException:
        return Form(malformed=True)
    form = Form()
    try:
        for name, value in parsed.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(MAX_UPLOAD_BYTES + 1)
                if len(data) > MAX_UPLOAD_BYTES:
                    return Form(too_large=True)
                if form.upload is None and (data or value.filename):
                    form.upload = Upload(value.filename or "", data)
            elif "\x00" in name or "\x00" in value:
                # No person types a NUL, and PostgreSQL cannot store one: not a form of ours.
                return Form(malformed=True)
            else:
                form.fields.setdefault(name, value)
    finally:
        await parsed.close()
    return form
