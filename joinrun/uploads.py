"""Uploaded files: none is kept beyond a size the site can refuse in words.

Django writes an upload of any size to memory or a temporary file before a view sees it.
This handler, first in ``FILE_UPLOAD_HANDLERS``, passes on at most ``MAX_FILE_BYTES + 1``
bytes of each file and drops the rest as it arrives, so a 1 GB upload costs no disk, and
the form still sees a file one byte too big and says so (runs/routes.py: a GPX route).
"""

from django.core.files.uploadhandler import FileUploadHandler

MAX_FILE_BYTES = 5 * 1024 * 1024


class CappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.passed_on = 0

    def receive_data_chunk(self, raw_data, start):
        room = MAX_FILE_BYTES + 1 - self.passed_on
        if room <= 0:
            return None  # the next handlers never see the rest
        chunk = raw_data[:room]
        self.passed_on += len(chunk)
        return chunk

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file
