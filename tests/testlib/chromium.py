"""Headless Chromium (Debian's ``chromium``) driven over the Chrome DevTools Protocol on ``--remote-debugging-pipe``:
load a local page with every request logged and every request but the page's own refused, read the DOM, take a
screenshot. No dependency beyond the browser: the pipe protocol is JSON messages separated by NUL bytes (Chromium reads
commands on fd 3 and writes answers and events on fd 4).

    with Chromium.start(tmp_path) as browser:
        page = browser.load(Path("report.html"))
        page.requests           # every URL the page asked for, in order
        page.evaluate("document.title")
        page.screenshot()       # PNG bytes
"""

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
TIMEOUT = 30.0

# Quiet, offline, deterministic: no first-run UI, component updates, sync, field trials or GPU.
FLAGS = (
    "--headless",
    "--remote-debugging-pipe",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--metrics-recording-only",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-color-profile=srgb",
)


def find_chromium():
    """The Chromium executable on PATH, or None."""
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def _moved_above_9(fd):
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class CDPError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


class Page:
    """One tab: its CDP session, the requests it made, and the URL it was asked to load."""

    def __init__(self, browser, session_id):
        self.browser = browser
        self.session_id = session_id
        self.requests = []  # every URL the page asked for, even one its policy then stopped (requestWillBeSent)
        self.blocked = []  # URLs that reached the network layer, refused there before they went anywhere
        self.failed = {}  # URL: why loading it failed (``csp`` when the page's own policy stopped it)
        self._urls = {}
        self.allowed_url = None

    def send(self, method, **params):
        return self.browser.send(method, session_id=self.session_id, **params)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (returned by value, so JSON-compatible)."""
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise CDPError("evaluation failed: %s" % answer["exceptionDetails"])
        return answer["result"].get("value")

    def screenshot(self, width=1280, height=900):
        """A PNG of the whole page at ``width`` CSS pixels."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        answer = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return base64.b64decode(answer["data"])

    def on_event(self, method, params):
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
            self._urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            url = self._urls.get(params["requestId"])
            self.failed[url] = params.get("blockedReason") or params.get("errorText")
        elif method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if url not in self.requests:
                self.requests.append(url)
            if url == self.allowed_url:
                self.browser.send_async("Fetch.continueRequest", self.session_id, requestId=params["requestId"])
            else:
                self.blocked.append(url)
                self.browser.send_async(
                    "Fetch.failRequest", self.session_id, requestId=params["requestId"], errorReason="BlockedByClient"
                )


class Chromium:
    """A headless Chromium process and its DevTools pipe."""

    def __init__(self, process, commands, answers):
        self.process = process
        self._commands = commands
        self._answers = answers
        self._next_id = 0
        self._lock = threading.Lock()
        self._pending = {}
        self._pages = {}
        self._events = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, profile_dir, binary=None):
        binary = binary or find_chromium()
        if binary is None:
            raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()
        # Chromium's ends move above fd 9, so the shell's renumbering to 3 and 4 below cannot close one of them.
        to_browser_read, from_browser_write = (_moved_above_9(fd) for fd in (to_browser_read, from_browser_write))
        flags = list(FLAGS) + ["--user-data-dir=%s" % (Path(profile_dir) / "chromium-profile")]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        # bash puts the two pipe ends on the fds Chromium expects (3: commands in, 4: answers out).
        script = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (
            to_browser_read,
            from_browser_write,
            to_browser_read,
            from_browser_write,
        )
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            ["bash", "-c", script, binary, *flags, "about:blank"],
            pass_fds=(to_browser_read, from_browser_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        return cls(process, os.fdopen(to_browser_write, "wb", buffering=0), os.fdopen(from_browser_read, "rb"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()  # our own child, by its Popen handle
            self.process.wait()
        self._commands.close()

    # ----------------------------------------------------------------------------------------------------------
    # protocol

    def _read(self):
        buffer = b""
        while True:
            chunk = self._answers.read1(65536) if hasattr(self._answers, "read1") else self._answers.read(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self._dispatch(json.loads(raw.decode("utf-8")))
        with self._lock:
            for waiter in self._pending.values():
                waiter.put({"error": {"message": "Chromium closed the pipe"}})

    def _dispatch(self, message):
        if "id" in message:
            with self._lock:
                waiter = self._pending.pop(message["id"], None)
            if waiter is not None:
                waiter.put(message)
            return
        page = self._pages.get(message.get("sessionId"))
        if page is not None:
            page.on_event(message["method"], message.get("params", {}))
        self._events.put(message)

    def _write(self, method, session_id, params):
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            waiter = queue.Queue(maxsize=1)
            self._pending[message_id] = waiter
            message = {"id": message_id, "method": method, "params": params}
            if session_id:
                message["sessionId"] = session_id
            self._commands.write(json.dumps(message).encode("utf-8") + b"\0")
        return waiter

    def send(self, method, session_id=None, timeout=TIMEOUT, **params):
        """Send a command and return its result; raises CDPError on an error answer or after ``timeout`` seconds."""
        waiter = self._write(method, session_id, params)
        try:
            answer = waiter.get(timeout=timeout)
        except queue.Empty:
            raise CDPError("%s: no answer within %s s" % (method, timeout)) from None
        if "error" in answer:
            raise CDPError("%s: %s" % (method, answer["error"]))
        return answer.get("result", {})

    def send_async(self, method, session_id, **params):
        """Send a command from the reader thread without waiting for its answer."""
        self._write(method, session_id, params)

    def wait_event(self, method, session_id, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CDPError("no %s within %s s" % (method, timeout))
            try:
                message = self._events.get(timeout=remaining)
            except queue.Empty:
                continue
            if message.get("method") == method and message.get("sessionId") == session_id:
                return message.get("params", {})

    # ----------------------------------------------------------------------------------------------------------
    # pages

    def load(self, path, timeout=TIMEOUT):
        """Open ``path`` in a new tab with every request logged and any request but the page itself refused;
        returns the :class:`Page` after its load event."""
        url = Path(path).resolve().as_uri()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.allowed_url = url
        self._pages[session] = page
        page.send("Network.enable")
        page.send("Fetch.enable", patterns=[{"urlPattern": "*", "requestStage": "Request"}])
        page.send("Page.enable")
        page.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", session, timeout=timeout)
        # let late requests (fonts, lazy images) surface before anyone counts them
        page.evaluate("new Promise(resolve => setTimeout(resolve, 300))")
        return page
