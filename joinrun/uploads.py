"""Uploaded files: none is kept beyond a size the site can refuse in words.

Django writes an upload of any size to memory or a temporary file before a view sees it.
This handler, first in ``FILE_UPLOAD_HANDLERS``, passes on at most ``MAX_FILE_BYTES + 1``
bytes of a request's files and drops the rest as it arrives, so a 1 GB upload costs no
disk, and the form still sees a file one byte too big and says so (runs/routes.py: a GPX
route). A request may carry one file (no form of ours has two file fields): a second one
is refused with a 400 before a byte of it is kept.
"""

from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler

MAX_FILE_BYTES = 5 * 1024 * 1024


class CappedUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        # One handler per request: these count across all of its files.
        self.files = self.passed_on = 0

    def new_file(self, *args, **kwargs):
        self.files += 1
        if self.files > 1:
            # Django's own refusal when there are too many files (a 400): a handler's
            # SkipFile would close the file already read.
            raise TooManyFilesSent("A request may carry one file.")
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        room = MAX_FILE_BYTES + 1 - self.passed_on
        if room <= 0:
            return None  # the next handlers never see the rest
        chunk = raw_data[:room]
        self.passed_on += len(chunk)
        return chunk

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file
