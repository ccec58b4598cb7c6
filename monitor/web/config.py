"""What the dashboard is told by its caller (bootstrap turns ``[server]`` settings into it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

AuthMode = Literal["none", "basic", "bearer"]


@dataclass(frozen=True)
class DashboardConfig:
    auth: AuthMode = "none"
    users: Mapping[str, str] = field(default_factory=dict)  # name -> werkzeug password hash
    token: str | None = None  # for "bearer"
    path_prefix: str = ""  # the dashboard's pages live under it, e.g. "/cqc"
    page_size: int = 50

    def __repr__(self) -> str:  # never show a token or hash in a log or a traceback
        return f"DashboardConfig(auth={self.auth!r}, path_prefix={self.path_prefix!r})"
