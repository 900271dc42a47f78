"""A fake clock for tests of waits and timeouts: every sleep advances it exactly, so waits are exact and instant."""


class FakeClock:
    """Stands in for ``time`` (``monotonic()``, ``sleep()``) or for a clock function (call it); ``sleeps`` lists the
    pauses asked for, in order."""

    def __init__(self, now=0.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
