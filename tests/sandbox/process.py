"""Running a sandbox server as a background process (make sandbox-up, make demo): the PID file and a clean stop;
or from a thread of the test process."""

import os
import signal
import sys
import threading
from pathlib import Path


def serve_until_terminated(httpd, pid_file=None):
    """Serve ``httpd`` until SIGTERM; the PID file exists exactly while it serves, so callers stop it by that PID."""
    if pid_file:
        Path(pid_file).write_text(f"{os.getpid()}\n", encoding="utf-8")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
        if pid_file:
            Path(pid_file).unlink(missing_ok=True)
    return 0


class ServedFromThread:
    """``start()`` serves ``self.httpd`` from a daemon thread named ``thread_name`` (tests); ``stop()`` shuts it down."""

    thread_name = "sandbox-server"
    httpd = None
    thread = None

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=self.thread_name, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(10)
