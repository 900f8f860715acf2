"""A real SMTP server on a loopback port (aiosmtpd), for the outbox's tests and benchmark.

    with FakeSMTP() as smtp:                    # listening on 127.0.0.1:smtp.port
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        ...
        smtp.stop()                              # down: connections are refused
        smtp.start()                             # up again, on the same port
        smtp.answer("ana@example.com", "450 4.2.1 Mailbox busy, try later")
        smtp.wait_for(3)
        smtp.messages[0]["To"]

``FakeSMTP()`` without ``with`` is a server that is down until ``start()``. Every message
accepted is parsed (``email.message.EmailMessage``) into ``messages``. ``delay`` holds
each message that long before accepting it, as a slow server would, and ``holding = True``
holds them until it is False again (``held`` is set meanwhile). ``silent_server()``
accepts connections and never says a word, as a hung server does.
"""

import asyncio
import contextlib
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, fake):
        self.fake = fake

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.fake.answers.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fake.delay:
            await asyncio.sleep(self.fake.delay)
        while self.fake.holding:
            self.fake.held.set()
            await asyncio.sleep(0.01)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.fake.received:
            self.fake.messages.append(message)
            self.fake.envelopes.append(list(envelope.rcpt_tos))
            self.fake.addresses.append(str(message["To"]))
            self.fake.received.notify_all()
        return "250 Message accepted for delivery"


class FakeSMTP:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []  # parsed, in the order they were accepted
        self.envelopes = []  # each message's RCPT TO addresses
        self.addresses = []  # each message's To header, parsed once
        self.answers = {}  # lower-case address -> RCPT reply, e.g. "550 5.1.1 No such user"
        self.delay = 0.0
        self.holding = False  # while True, every message waits for its answer
        self.held = threading.Event()  # set while a message is held
        self.received = threading.Condition()
        self._controller = None

    @property
    def url(self):
        """For EMAIL_URL (django-environ): plain SMTP, no TLS, no login."""
        return f"smtp://{HOST}:{self.port}"

    @property
    def running(self):
        return self._controller is not None

    def start(self):
        # A stopped controller has closed its event loop: each start gets a new one.
        controller = Controller(_Handler(self), hostname=HOST, port=self.port,
                                server_hostname="fake-smtp.test", ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def answer(self, address, reply):
        """Answers ``reply`` ("450 …", "550 …") to RCPT TO ``address``; None: accept."""
        if reply is None:
            self.answers.pop(address.lower(), None)
        else:
            self.answers[address.lower()] = reply

    def recipients(self):
        """The To address of each message accepted, in order (repeats included)."""
        with self.received:
            return list(self.addresses)

    def wait_for(self, count, *, to=None, timeout=30):
        """Waits until ``count`` messages were accepted (only those to an address in
        ``to``, when given); returns how many there are."""

        to = None if to is None else set(to)

        def matching():
            return sum(1 for address in self.recipients() if to is None or address in to)

        deadline = time.monotonic() + timeout
        with self.received:
            while (found := matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.received.wait(left)
        return found


@contextlib.contextmanager
def silent_server():
    """A server that accepts TCP connections (the kernel does, from the backlog) and never
    sends a greeting; yields its port."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(16)
        yield listener.getsockname()[1]
