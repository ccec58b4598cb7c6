"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium.

The database is the demo's story; each test looks for what a person would, screenshots every
page it visits into its output folder, and fails on any message the browser logs as an error.
Skipped, with the reason, where Chromium and chromedriver are not installed (`.ci/run`
installs them).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import documents as docs
from tests.support.dashboard import serving

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
    pytest.skip(
        "browser tests need Chromium and chromedriver (Debian: apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

DEADLINE = 30  # seconds: generous, the browser is waited for, never timed


@pytest.fixture(scope="module")
def base_url(demo_database: str) -> Iterator[str]:
    with serving(demo_database) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given: Selenium Manager has nothing to look up or download.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(DEADLINE)
    yield driver
    driver.quit()


class Visit:
    """Opens pages, keeps a screenshot of each, and collects the browser's error messages."""

    def __init__(self, driver: WebDriver, base: str, folder: Path) -> None:
        self.driver, self.base, self.folder = driver, base, folder
        self.errors: list[dict[str, Any]] = []
        driver.get_log("browser")  # what earlier tests left is theirs

    def open(self, path: str, name: str) -> WebDriver:
        self.driver.get(self.base + path)
        return self.settled(name)

    def settled(self, name: str) -> WebDriver:
        WebDriverWait(self.driver, DEADLINE).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self.driver.save_screenshot(str(self.folder / f"{name}.png"))
        self.errors += [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        return self.driver

    def heading(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "h1").text)


@pytest.fixture
def visit(browser: WebDriver, base_url: str, tmp_path: Path) -> Iterator[Visit]:
    browser.set_window_size(1280, 1000)
    pages = Visit(browser, base_url, tmp_path)
    yield pages
    assert pages.errors == [], "the browser logged errors"
    assert sorted(tmp_path.glob("*.png")), "every visited page leaves a screenshot"


def test_every_page_loads_cleanly(visit: Visit) -> None:
    for path, name, heading in (
        ("/", "overview", "Overview"),
        ("/changes", "changes", "Changes"),
        ("/locations", "locations", "Locations"),
        (f"/locations/{docs.HENLEY}", "location", "Henley House"),
        ("/deliveries", "deliveries", "Deliveries"),
        ("/deliveries/pager-webhook/dead", "sink", "pager-webhook: dead deliveries"),
    ):
        visit.open(path, name)
        assert visit.heading() == heading
        assert (visit.folder / f"{name}.png").stat().st_size > 10_000
    overview = visit.open("/", "overview")
    states = overview.find_element(By.ID, "states").find_element(By.XPATH, "..").text
    assert "active 7" in states


def test_the_downgrade_is_found_on_changes_and_leads_to_the_location(visit: Visit) -> None:
    page = visit.open("/changes", "changes")
    page.find_element(By.CSS_SELECTOR, "input[name=severity][value=critical]").click()
    page.find_element(By.CSS_SELECTOR, "input[name=type][value=rating_changed]").click()
    page.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    page = visit.settled("changes-critical-ratings")
    rows = page.find_elements(By.CSS_SELECTOR, "table.changes tbody tr")
    assert len(rows) == 1
    assert "Overall: Good → Inadequate" in rows[0].text
    assert "Safe: Good → Inadequate" in rows[0].text and "critical" in rows[0].text
    rows[0].find_element(By.LINK_TEXT, "Henley House").click()
    visit.settled("henley-from-changes")
    assert visit.heading() == "Henley House"


def test_the_location_page_charts_every_rating_it_has_seen(visit: Visit) -> None:
    page = visit.open(f"/locations/{docs.HENLEY}", "henley")

    def dots(question: str) -> list[str]:
        chart = page.find_element(By.ID, f"chart-{question}")
        titles = chart.find_elements(By.CSS_SELECTOR, "svg circle.dot title")
        return [title.get_attribute("textContent") or "" for title in titles]

    # Good since the 2022 inspection, then the assessment published on 2025-11-04.
    assert dots("overall") == ["2022-04-20: Good", "2025-11-04: Inadequate"]
    assert dots("safe") == ["2022-04-20: Good", "2025-11-04: Inadequate"]
    assert dots("caring") == ["2022-04-20: Good", "2025-11-04: Good"]
    grid = page.find_element(By.CSS_SELECTOR, "table.grid").text
    assert "Requires improvement" in grid and "Inadequate" in grid
    told = page.find_element(By.ID, "changes").find_element(By.XPATH, "..").text
    assert "pager-webhook: dead" in told and "partner-webhook: sent" in told


def test_the_dead_delivery_is_on_deliveries_with_its_error(visit: Visit) -> None:
    page = visit.open("/deliveries", "deliveries")
    section = page.find_element(By.XPATH, "//section[h2[text()='pager-webhook']]")
    # The downgrade's two critical alerts (its rating change and its report, in special
    # measures) and the deregistration.
    assert "Dead\n3" in section.text
    dead = section.find_elements(
        By.XPATH, ".//h3[text()='Dead']/following-sibling::div[1]//tbody/tr"
    )
    assert len(dead) == 3
    # One met the 410; the others were stopped by the disable it caused, unsent.
    texts = [row.text for row in dead]
    assert all("sink disabled" in text for text in texts)
    assert any("HTTP 410 Gone" in text for text in texts)
    assert any("Lucerne House" in text for text in texts)


def test_locations_search_and_sort(visit: Visit) -> None:
    page = visit.open("/locations", "locations")
    search = page.find_element(By.ID, "q")
    search.send_keys("henley")
    search.send_keys(Keys.ENTER)
    page = visit.settled("locations-henley")
    rows = page.find_elements(By.CSS_SELECTOR, "table.locations tbody tr")
    assert [row.find_element(By.TAG_NAME, "a").text for row in rows] == ["Henley House"]
    page = visit.open("/locations", "locations")
    page.find_element(By.LINK_TEXT, "Overall").click()
    page = visit.settled("locations-by-rating")
    ratings = [c.text for c in page.find_elements(By.CSS_SELECTOR, "tbody td .rating")]
    assert ratings[-1] == "Outstanding" and ratings.index("Inadequate") < ratings.index("Good")


def test_keyboard_and_phone(visit: Visit) -> None:
    page = visit.open("/changes", "changes")
    page.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = page.switch_to.active_element
    assert focused.text == "Skip to content"
    page.set_window_size(390, 844)
    for path, name in (("/", "overview-phone"), (f"/locations/{docs.HENLEY}", "location-phone")):
        page = visit.open(path, name)
        wide = page.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wide <= 1, f"{path} scrolls sideways on a phone"
