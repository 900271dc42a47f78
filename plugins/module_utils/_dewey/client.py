# -*- coding: utf-8 -*-
# Copyright: Contributors to the daylily.ephemeral_cluster project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP to Dewey through ``ansible.module_utils.urls`` (proxies, CA bundles, ``validate_certs``), with retries.

Retried, with exponential back-off: connection errors (refused, reset, dropped mid-request, timeouts), 429 and
5xx. Never retried: every other 4xx; 409 is a conflict to report. Retrying a POST is safe because a registration
is keyed by the hash of its request: a request Dewey already stored is replayed, never registered twice.
Success is HTTP 2xx with a JSON object whose ``status_code`` is 201 (new or replayed).
"""

from __future__ import annotations

import http.client
import json
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import Request

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils._dewey import contract

ROUTES = {
    "analysis": "/api/v1/artifact-sets/analysis/register",
    "multiqc": "/api/v1/artifact-sets/multiqc/register",
}
RETRY_STATUSES = (429, 500, 502, 503, 504)
_CONNECTION_ERRORS = (http.client.HTTPException, OSError)  # OSError covers URLError, resets, timeouts

_HINTS = {
    401: "Dewey refused the bearer token: check that the environment variable named by dewey_token_env holds a "
    "token listed in Dewey's api_bearer_token(s)",
    404: "an S3 object, parent artifact or parent set is missing in Dewey's view: check the export is complete "
    "and Dewey reads the same S3",
    409: "Dewey already holds a different record for this registration (an artifact with the same URI but another "
    "SHA-256, size or role, or a key reused with another body); records are immutable, so this is not "
    "retried: find what changed since the first registration",
    422: "Dewey rejected the request shape: a Dewey older or newer than 3.0.27, or send_metadata set for a Dewey "
    "that does not accept metadata",
}


class DeweyHTTPError(Exception):
    """A registration that did not succeed: ``status`` (None for a connection error), ``detail`` from Dewey,
    ``attempts`` made. The message says what to do."""

    def __init__(self, route, status, detail, attempts):
        self.route = route
        self.status = status
        self.detail = detail
        self.attempts = attempts
        what = "HTTP %s" % status if status else "no answer"
        hint = _HINTS.get(status) or (
            "Dewey kept failing after %d attempts: check it is up and re-run (a re-run "
            "replays what was already stored)" % attempts
        )
        super().__init__("Dewey POST %s failed (%s): %s. %s" % (route, what, _short(detail), hint))


def _short(detail, limit=600):
    text = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


class DeweyClient:
    """POST registration requests to one Dewey. The token is only ever put in the Authorization header."""

    def __init__(
        self,
        url,
        token,
        timeout=30,
        retries=4,
        retry_delay=1.0,
        max_delay=30.0,
        validate_certs=True,
        ca_path=None,
        use_proxy=True,
        send_idempotency_key=True,
        sleep=time.sleep,
    ):
        self.url = url.rstrip("/")
        self._request = Request(
            headers={
                "Authorization": "Bearer %s" % token,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            use_proxy=use_proxy,
            timeout=timeout,
            validate_certs=validate_certs,
            ca_path=ca_path,
            follow_redirects="none",
        )
        self.retries = retries
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self.send_idempotency_key = send_idempotency_key
        self.sleep = sleep
        self.attempt_log = []  # (route, status or error class) per attempt, for results and tests

    def endpoint(self, kind):
        return self.url + ROUTES[kind]

    def register(self, kind, body, key):
        """POST one finalised request; return Dewey's response object (``status_code`` 201)."""
        route = ROUTES[kind]
        headers = {"Idempotency-Key": key} if self.send_idempotency_key and key else {}
        data = contract.canonical_body(body)
        attempt = 0
        while True:
            attempt += 1
            status, detail, retry_after = self._post(route, data, headers)
            self.attempt_log.append((route, status))
            if isinstance(status, int) and 200 <= status < 300:
                if isinstance(detail, dict) and detail.get("status_code") == 201:
                    return detail
                raise DeweyHTTPError(
                    route, status, "unexpected answer (no status_code 201): %s" % _short(detail), attempt
                )
            retryable = not isinstance(status, int) or status in RETRY_STATUSES
            if not retryable or attempt > self.retries:
                raise DeweyHTTPError(route, status if isinstance(status, int) else None, detail, attempt)
            delay = min(self.max_delay, self.retry_delay * (2 ** (attempt - 1)))
            self.sleep(max(delay, retry_after or 0))

    def _post(self, route, data, headers):
        """(status, parsed body or error text, Retry-After seconds); status is an error class name when there
        was no HTTP answer."""
        try:
            response = self._request.open("POST", self.url + route, data=data, headers=headers)
            return response.getcode(), _json(response.read()), None
        except HTTPError as err:
            try:
                body = err.read()
            except Exception:  # pylint: disable=broad-except  # a body cut short is still an HTTP error
                body = b""
            return err.code, _detail(body), _retry_after(err.headers)
        except _CONNECTION_ERRORS as err:
            return type(err).__name__, "connection error: %s" % (getattr(err, "reason", None) or err), None


def _json(raw):
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")


def _detail(raw):
    parsed = _json(raw)
    return parsed.get("detail", parsed) if isinstance(parsed, dict) else parsed


def _retry_after(headers):
    try:
        return min(float(headers.get("Retry-After")), 60.0)
    except (TypeError, ValueError, AttributeError):
        return None
