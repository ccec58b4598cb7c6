"""The dashboard's Flask application: read-only, every value escaped, optional authentication.

``create_app`` is the factory: the caller gives it a session factory (on a read-only engine,
see ``serve.open_dashboard``) and the configuration; nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from jinja2 import StrictUndefined
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException, MethodNotAllowed, Unauthorized

from monitor.web import filters, params
from monitor.web.config import DashboardConfig
from monitor.web.security import (
    SECURITY_HEADERS,
    Authenticator,
    ForwardedPrefix,
    Routes,
    local_location,
)
from monitor.web.views import pages

READ_METHODS = ("GET", "HEAD")


class _Dashboard(Flask):
    url_map_class = Routes


@dataclass(frozen=True)
class Dependencies:
    sessions: sessionmaker[Session]
    config: DashboardConfig
    auth: Authenticator
    now: Callable[[], datetime]


def create_app(
    sessions: sessionmaker[Session],
    config: DashboardConfig | None = None,
    *,
    now: Callable[[], datetime] | None = None,
) -> Flask:
    config = config or DashboardConfig()
    prefix = config.path_prefix
    app = _Dashboard(__name__, static_url_path=f"{prefix}/static")
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    app.jinja_env.undefined = StrictUndefined  # a typo in a template fails, never shows blank
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.extensions["dashboard"] = Dependencies(
        sessions, config, Authenticator(config), now or (lambda: datetime.now(UTC))
    )
    filters.register(app)
    app.register_blueprint(pages, url_prefix=prefix or None)
    app.before_request(_guard)
    app.after_request(_secure)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
    app.wsgi_app = ForwardedPrefix(app.wsgi_app)  # type: ignore[method-assign]
    return app


def dependencies() -> Dependencies:
    found: Dependencies = current_app.extensions["dashboard"]
    return found


def _guard() -> None:
    """Before any view or static file: reading only, only with credentials when asked, and
    only parameters and ids a view can use."""
    if request.method not in READ_METHODS:
        raise MethodNotAllowed(valid_methods=list(READ_METHODS))
    auth = dependencies().auth
    if not auth.allows(request.authorization):
        raise Unauthorized(www_authenticate=auth.challenge)
    params.check_request()


def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if "Location" in response.headers:
        response.headers["Location"] = local_location(response.headers["Location"])
    if request.endpoint != "static":
        # Pages show the audit trail: no shared cache or back-button copy should keep them.
        response.headers["Cache-Control"] = "no-store"
    return response


def _http_error(error: HTTPException) -> Any:
    response = error.get_response()
    page = render_template(
        "error.html", status=error.code, title=error.name, text=error.description
    )
    response.set_data(page)
    response.content_type = "text/html; charset=utf-8"
    return response


def _server_error(error: Exception) -> Any:
    # The page says nothing of the cause (it could hold a path or a query); the log has it.
    current_app.logger.exception("dashboard request failed", exc_info=error)
    text = "The dashboard could not answer this request. The error is in the server's log."
    page = render_template("error.html", status=500, title="Server error", text=text)
    return page, 500
