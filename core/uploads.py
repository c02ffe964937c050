"""The upload handler of the site: every uploaded file goes to a temporary
file on disk (never into memory), and a request carrying more than
``IMPORT_MAX_UPLOAD_SIZE`` is refused before or while it is received.

A file above the ceiling is refused with ``RequestDataTooBig``, which Django
answers with its 400 page (templates/400.html, in French); below it, each
form checks the limit of its own kind of file (``IMPORT_UPLOAD_LIMITS``) and
says it in a form error. Nothing above the ceiling is ever written to disk."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import TemporaryFileUploadHandler


def upload_ceiling() -> int:
    """The most one request may carry: the largest file accepted anywhere,
    plus the form fields around it."""
    return settings.IMPORT_MAX_UPLOAD_SIZE + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def handle_raw_input(self, input_data, meta, content_length, boundary, encoding=None):
        # The declared length is known before a byte of the body is read.
        if content_length and content_length > upload_ceiling():
            raise RequestDataTooBig("Request body exceeded settings.IMPORT_MAX_UPLOAD_SIZE.")

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        # A body sent without (or with a false) Content-Length is counted as it comes.
        self.received += len(raw_data)
        if self.received > settings.IMPORT_MAX_UPLOAD_SIZE:
            self.upload_interrupted()
            raise RequestDataTooBig("Uploaded file exceeded settings.IMPORT_MAX_UPLOAD_SIZE.")
        return super().receive_data_chunk(raw_data, start)
