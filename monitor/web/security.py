"""What makes the dashboard safe to expose: authentication, response headers, a proxy prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from werkzeug.datastructures import Authorization, WWWAuthenticate
from werkzeug.routing import Map
from werkzeug.security import check_password_hash, generate_password_hash

from monitor.web.config import DashboardConfig

# No script runs at all: the pages are plain HTML, CSS and inline SVG.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self'; "
    "style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_CACHE_SIZE = 256


class Authenticator:
    """Checks the ``Authorization`` header against the configured users or token."""

    def __init__(self, config: DashboardConfig) -> None:
        self.mode = config.auth
        self.users = dict(config.users)
        self.token = (config.token or "").encode()
        # Hashes are slow on purpose (scrypt: tens of ms); a page and its stylesheet would
        # pay twice. Verified credentials are remembered as an HMAC under a key of this process.
        self._key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self._decoy = generate_password_hash(secrets.token_hex(16)) if self.mode == "basic" else ""

    @property
    def challenge(self) -> WWWAuthenticate:
        scheme = "basic" if self.mode == "basic" else "bearer"
        return WWWAuthenticate(scheme, {"realm": "cqc-monitor dashboard", "charset": "UTF-8"})

    def allows(self, credentials: Authorization | None) -> bool:
        if self.mode == "none":
            return True
        if credentials is None:
            return False
        if self.mode == "bearer":
            given = (credentials.token or "").encode() if credentials.type == "bearer" else b""
            return hmac.compare_digest(given, self.token)
        if credentials.type != "basic":
            return False
        return self._password_ok(credentials.username or "", credentials.password or "")

    def _password_ok(self, user: str, password: str) -> bool:
        digest = hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if digest in self._verified:
                self._verified.move_to_end(digest)
                return True
        # An unknown user costs as much as a known one: timing tells nobody which names exist.
        hashed = self.users.get(user)
        if not check_password_hash(hashed or self._decoy, password) or hashed is None:
            return False
        with self._lock:
            self._verified[digest] = None
            while len(self._verified) > _CACHE_SIZE:
                self._verified.popitem(last=False)
        return True


class Routes(Map):
    """URL rules that never redirect: werkzeug builds a slash redirect (``//`` merged, a
    trailing ``/`` added) as an absolute URL from the request's Host header, which the
    client chooses. A doubled slash is simply not found; a missing trailing slash matches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(merge_slashes=False, strict_slashes=False)
        super().__init__(*args, **kwargs)


def local_location(location: str) -> str:
    """A redirect target reduced to a path on this server: never another host (``//host``
    included), whatever built it."""
    parts = urlsplit(location)
    return urlunsplit(("", "", "/" + parts.path.lstrip("/"), parts.query, parts.fragment))


# A prefix a reverse proxy announces: path segments of safe characters, none of them a
# "." or ".." that would walk out of the path the proxy serves.
_PREFIX = re.compile(r"^(/(?!\.{1,2}(?:/|$))[A-Za-z0-9._~-]+)+$")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ForwardedPrefix:
    """Honours ``X-Forwarded-Prefix`` from a proxy that strips its path prefix.

    Links are built from ``SCRIPT_NAME``, so under ``/cqc/`` every link starts with it. A
    value that is not a plain path is ignored rather than trusted into every link.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        forwarded = environ.get("HTTP_X_FORWARDED_PREFIX", "").split(",")[0].strip()
        forwarded = forwarded.rstrip("/")
        if forwarded and _PREFIX.match(forwarded):
            environ["SCRIPT_NAME"] = forwarded + environ.get("SCRIPT_NAME", "")
        return self.app(environ, start_response)
