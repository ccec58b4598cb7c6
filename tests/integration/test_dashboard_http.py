"""The dashboard over real HTTP on loopback: what a client, a proxy or an attacker sees."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from monitor.errors import StorageError
from monitor.store import migrate
from monitor.store.engine import make_engine
from monitor.web.config import DashboardConfig
from monitor.web.serve import open_dashboard
from tests.fakes import FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for
from tests.support.dashboard import client, serving

PAGES = ("/", "/changes", "/locations", f"/locations/{docs.HENLEY}", "/deliveries")
TOKEN = "a-bearer-token-long-enough"


def test_every_page_answers_with_the_security_headers(demo_database: str) -> None:
    with serving(demo_database) as base:
        http = client()
        for path in (*PAGES, "/static/dashboard.css", "/no-such-page"):
            response = http.get(base + path, timeout=10)
            assert response.status_code == (404 if path == "/no-such-page" else 200), path
            policy = response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in policy and "script-src 'none'" in policy
            assert "unsafe-inline" not in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in http.get(base + "/changes", timeout=10).headers["Cache-Control"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_nothing_but_reading_is_allowed(demo_database: str, method: str) -> None:
    with serving(demo_database) as base:
        for path in ("/", "/changes", "/no-such-page"):
            response = client().request(method, base + path, data=b"x=1", timeout=10)
            assert response.status_code == 405, (method, path)
            assert response.headers["Allow"] == "GET, HEAD"
            assert response.headers["X-Frame-Options"] == "DENY"


def test_basic_authentication(demo_database: str) -> None:
    config = DashboardConfig(
        auth="basic", users={"auditor": generate_password_hash("a long passphrase")}
    )
    with serving(demo_database, config) as base:
        http = client()
        refused = http.get(base + "/", timeout=10)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert http.get(base + "/static/dashboard.css", timeout=10).status_code == 401
        for user, password in (("auditor", "wrong"), ("nobody", "a long passphrase")):
            assert http.get(base + "/", auth=(user, password), timeout=10).status_code == 401
        for path in PAGES:
            answer = http.get(base + path, auth=("auditor", "a long passphrase"), timeout=10)
            assert answer.status_code == 200, path
            assert "scrypt" not in answer.text and "passphrase" not in answer.text


def test_bearer_authentication(demo_database: str) -> None:
    with serving(demo_database, DashboardConfig(auth="bearer", token=TOKEN)) as base:
        http = client()
        assert http.get(base + "/", timeout=10).status_code == 401
        wrong = {"Authorization": "Bearer " + TOKEN[:-1] + "X"}
        assert http.get(base + "/", headers=wrong, timeout=10).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        right = http.get(base + "/changes", headers=bearer, timeout=10)
        assert right.status_code == 200 and TOKEN not in right.text


def test_a_hostile_location_name_is_shown_as_text(tmp_path: Path) -> None:
    hostile = "<script>alert('owned')</script> & <b>Co</b>"
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    document = {**docs.real(docs.HENLEY), "name": hostile}
    cqc = FakeCqc({docs.HENLEY: document})
    app = app_for(settings_for(url, watch={"locations": [docs.HENLEY]}), api=cqc, sinks={})
    app.review().run("full")
    cqc.documents[docs.HENLEY] = docs.rate_with_report(
        document, {"Overall": "Inadequate"}, "report-2", "2026-01-10"
    )
    app.review().run("full")
    with serving(url) as base:
        for path in ("/changes", "/locations", f"/locations/{docs.HENLEY}", "/deliveries"):
            page = client().get(base + path, timeout=10).text
            assert "<script>alert" not in page and "<b>Co</b>" not in page, path
        location = client().get(base + f"/locations/{docs.HENLEY}", timeout=10).text
        assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; &amp; &lt;b&gt;Co" in location


def test_links_follow_a_proxy_prefix(demo_database: str) -> None:
    with serving(demo_database) as base:
        page = client().get(base + "/", headers={"X-Forwarded-Prefix": "/cqc/"}, timeout=10)
        links = re.findall(r'(?:href|action)="([^"#]+)"', page.text)
        assert links and all(link.startswith("/cqc/") for link in links), links
        assert '/cqc/static/dashboard.css"' in page.text
        # A header that is not a plain path is not trusted into links.
        odd = client().get(base + "/", headers={"X-Forwarded-Prefix": "javascript:x"}, timeout=10)
        assert "javascript:" not in odd.text


def test_a_configured_prefix_serves_under_it_only(demo_database: str) -> None:
    with serving(demo_database, DashboardConfig(path_prefix="/audit")) as base:
        http = client()
        assert http.get(base + "/", timeout=10).status_code == 404
        page = http.get(base + "/audit/changes", timeout=10)
        assert page.status_code == 200
        assert 'href="/audit/static/dashboard.css"' in page.text
        assert http.get(base + "/audit/static/dashboard.css", timeout=10).status_code == 200


def test_downloads_hold_exactly_the_rows_shown(demo_database: str) -> None:
    query = "?severity=critical&severity=warning&type=rating_changed&type=registration_changed"
    with serving(demo_database) as base:
        http = client()
        page = http.get(base + "/changes" + query, timeout=10).text
        shown = re.findall(r'<tr id="(evt_[0-9a-f]+)">', page)
        summaries = re.findall(r'<td data-label="Summary">([^<]+)</td>', page)
        assert len(shown) == 2 and len(summaries) == 2
        assert f'href="/changes.csv{query}"'.replace("&", "&amp;") in page
        download = http.get(base + "/changes.csv" + query, timeout=10)
        table = list(csv.DictReader(io.StringIO(download.text)))
        events = http.get(base + "/changes.json" + query, timeout=10).json()
    assert [row["id"] for row in table] == shown
    assert [event["id"] for event in events] == shown
    assert [row["summary"] for row in table] == summaries
    assert "Overall: Good → Inadequate" in summaries[1]  # newest first
    assert {event["severity"] for event in events} == {"critical"}


def test_the_overview_counts_the_demo_just_played_in_the_last_7_days(demo_database: str) -> None:
    with serving(demo_database) as base:
        page = client().get(base + "/", timeout=10).text
    recent = page.split('id="recent"', 1)[1].split("</section>", 1)[0]
    counts = dict(re.findall(r'class="severity \w+">(\w+)</span> (\d+)', recent))
    # Every change of the story: the downgrade and its report, the deregistration and the
    # trust's downgrade are critical; Harley Street's two, Orwell View, the trust's report info.
    assert counts == {"critical": "4", "warning": "0", "info": "4"}


def test_the_deliveries_page_says_which_sink_a_410_disabled(demo_database: str) -> None:
    with serving(demo_database) as base:
        page = client().get(base + "/deliveries", timeout=10).text
    sections = dict(re.findall(r'-title">([^<]+)</h2>(.*?)</section>', page, flags=re.S))
    assert "<strong>Disabled</strong> since" in sections["pager-webhook"]
    assert "HTTP 410 Gone" in sections["pager-webhook"]
    assert "<code>cqc-monitor sinks enable pager-webhook</code>" in sections["pager-webhook"]
    assert "Disabled" not in sections["partner-webhook"]


def test_a_database_behind_the_migrations_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, "0002")
    engine.dispose()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StorageError, match=r"behind .* `cqc-monitor db upgrade`"):
        open_dashboard(f"sqlite:///{path}")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with pytest.raises(StorageError, match="no database file"):
        open_dashboard(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()


def test_browsing_never_writes_to_the_database(demo_database: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(demo_database.removeprefix("sqlite:///")).read_bytes())
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    with serving(f"sqlite:///{copy}") as base:
        for path in (*PAGES, "/changes.csv", "/changes.json"):
            assert client().get(base + path, timeout=10).status_code == 200
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
