"""``Retry-After`` (RFC 9110 §10.2.3), read one way by the CQC client and by the sinks.

Servers send nonsense (``999999999999``, a date in the year 9999, four hundred nines). The
value is clamped here, before anyone does date arithmetic with it: a far-future answer means
"as late as we are prepared to wait", never an overflow.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Far beyond any retry horizon worth configuring, and still safe to add to any datetime.
DEFAULT_LIMIT = 7 * 24 * 3600.0
_DELAY_SECONDS = re.compile(r"\d+(\.\d+)?")


def retry_after_seconds(
    value: str | None, now: datetime, *, limit: float = DEFAULT_LIMIT
) -> float | None:
    """Seconds a ``Retry-After`` value asks for, within [0, ``limit``]; None when unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        return clamp_seconds(float(text), limit)  # enough digits make float() infinite
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are always GMT
        when = when.replace(tzinfo=UTC)
    return clamp_seconds((when - now).total_seconds(), limit)


def clamp_seconds(seconds: float, limit: float) -> float:
    """``seconds`` within [0, ``limit``]; NaN, which compares false with everything, is 0."""
    if math.isnan(seconds):
        return 0.0
    return min(max(seconds, 0.0), limit)
