"""Deadlines for requests: a transport adapter whose connections a :class:`Deadline` cuts.

session.mount("https://", DeadlineAdapter(max_retries=0))
with within(60.0):                  # this exchange is cut at 60 s
    session.get(url)
"""

from __future__ import annotations

from functools import partial
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection

from monitor.net.deadline import Deadline, current, shutdown_socket


class _GuardedConnection(HTTPConnection):
    """A connection that the calling thread's deadline may shut down."""

    _deadline: Deadline | None = None

    def connect(self) -> None:
        super().connect()
        self._guard()  # a deadline that passed during the connect cuts at once

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._guard()  # a pooled connection serves a new exchange
        super().request(*args, **kwargs)

    def _guard(self) -> None:
        deadline = current()
        self._deadline = deadline
        if deadline is not None:
            # The socket itself, not the attribute: http.client sets ``sock`` to None once the
            # response owns the connection, while the body is still being read from it.
            deadline.on_expiry(partial(self._cut, deadline, self.sock))

    def _cut(self, deadline: Deadline, sock: object) -> None:
        if self._deadline is deadline:  # by now the pool may have lent it to another exchange
            shutdown_socket(sock)


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """A requests adapter whose connections obey the deadline of :func:`within`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # SOCKS managers bring their own connections
            manager.pool_classes_by_scheme = _POOLS
        return manager
