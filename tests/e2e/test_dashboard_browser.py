"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium.

The database is the demo's story; each test looks for what a person would, screenshots every
page it visits into its output folder, and fails on any message the browser logs as an error.
Every page is also measured at desktop width and on a phone (390 CSS pixels, as an iPhone
14): nothing scrolls sideways or hides beyond the screen's edge, and no rating word is cut.
Skipped, with the reason, where Chromium and chromedriver are not installed (`.ci/run`
installs them).
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.demo.story import TRUST, TRUST_NAME
from tests.support import documents as docs
from tests.support.dashboard import DEMO_END, serving

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
DESKTOP = (1280, 1000)
PHONE = (390, 844)
CARDS_BELOW = 864  # CSS pixels: the stylesheet's 54rem
PAGES = (
    ("/", "overview", "Overview"),
    ("/changes", "changes", "Changes"),
    ("/locations", "locations", "Locations"),
    (f"/locations/{docs.HENLEY}", "location", "Henley House"),
    ("/deliveries", "deliveries", "Deliveries"),
    ("/deliveries/pager-webhook/dead", "sink", "pager-webhook: dead deliveries"),
    ("/providers", "providers", "Providers"),
    (f"/providers/{TRUST}", "provider", TRUST_NAME),
)
# What a reader would find wrong with the layout, measured in the page: each problem names
# the element and its text. ``arguments[0]``: whether to look for tall empty cells too (a
# desktop table row is as tall as its tallest cell; a card's cell has no reason to be).
LAYOUT_PROBLEMS = """
const cards = arguments[0];
const problems = [];
const width = document.documentElement.clientWidth;
// Shown: laid out, and not inside a visually hidden box (1px, for screen readers only).
const tucked = (el) => {
  const box = el.getBoundingClientRect();
  return getComputedStyle(el).position === "absolute" && box.width <= 1 && box.height <= 1;
};
const shown = (el) => {
  if (el.getClientRects().length === 0 || el.getBoundingClientRect().width <= 2) return false;
  for (let around = el; around; around = around.parentElement) if (tucked(around)) return false;
  return true;
};
const name = (el) => {
  const text = (el.innerText || el.textContent || "").trim().replace(/\\s+/g, " ");
  return `${el.tagName.toLowerCase()}.${String(el.className)} "${text.slice(0, 50)}"`;
};
if (document.documentElement.scrollWidth > width + 1) {
  problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
}
for (const el of document.querySelectorAll("body *")) {
  const overflow = getComputedStyle(el).overflowX;
  if (overflow !== "visible" && el.scrollWidth > el.clientWidth + 1 && shown(el)) {
    problems.push(`hides ${el.scrollWidth - el.clientWidth}px sideways: ${name(el)}`);
  }
}
for (const cell of document.querySelectorAll("main td, main th")) {
  if (!shown(cell) || !cell.innerText.trim()) continue;
  const box = cell.getBoundingClientRect();
  if (box.left < -1 || box.right > width + 1) {
    const where = `${Math.round(box.left)}..${Math.round(box.right)}`;
    problems.push(`off the screen (${where}): ${name(cell)}`);
  }
  if (!cards || cell.tagName !== "TD" || !cell.closest(".table-wrap")) continue;
  const style = getComputedStyle(cell);
  const label = cell.dataset.label;
  if (!label || getComputedStyle(cell, "::before").content !== JSON.stringify(label)) {
    problems.push(`a card's cell without its label: ${name(cell)}`);
  }
  const range = document.createRange();
  range.selectNodeContents(cell);
  const inner = box.height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const empty = inner - range.getBoundingClientRect().height;
  if (empty > 1.5 * parseFloat(style.lineHeight)) {
    problems.push(`${Math.round(empty)}px of empty cell: ${name(cell)}`);
  }
}
const badges = "main .rating, main .severity, main .state, main .status";
for (const badge of document.querySelectorAll(badges)) {
  if (!shown(badge)) continue;
  const box = badge.getBoundingClientRect();
  if (badge.scrollWidth > badge.clientWidth + 1) problems.push(`cut word: ${name(badge)}`);
  for (let around = badge.parentElement; around; around = around.parentElement) {
    if (getComputedStyle(around).overflowX === "visible") continue;
    const edge = around.getBoundingClientRect();
    if (box.left < edge.left - 1 || box.right > edge.right + 1) {
      problems.push(`cut by ${name(around).slice(0, 40)}: ${name(badge)}`);
    }
  }
  if (box.left < -1 || box.right > width + 1) problems.push(`off the screen: ${name(badge)}`);
}
// A rating may wrap between its words ("Requires / improvement"), never within one.
for (const badge of document.querySelectorAll("main .rating")) {
  const text = badge.firstChild;
  if (!shown(badge) || !text || text.nodeType !== Node.TEXT_NODE) continue;
  let at = 0;
  for (const word of text.data.split(" ")) {
    const range = document.createRange();
    range.setStart(text, at);
    range.setEnd(text, at + word.length);
    if (word && range.getClientRects().length > 1) problems.push(`split "${word}": ${name(badge)}`);
    at += word.length + 1;
  }
}
return problems;
"""


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

    def as_phone(self) -> None:
        """A phone's screen: 390 CSS pixels wide, touch, overlay scroll bars."""
        width, height = PHONE
        metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)

    def layout_problems(self, *, cards: bool) -> list[str]:
        found: list[str] = self.driver.execute_script(LAYOUT_PROBLEMS, cards)
        return found

    def whole_page(self, name: str) -> Path:
        """A screenshot of the whole page, not only what the window shows."""
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"captureBeyondViewport": True}
        )
        path = self.folder / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@pytest.fixture
def visit(browser: WebDriver, base_url: str, tmp_path: Path) -> Iterator[Visit]:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(*DESKTOP)
    pages = Visit(browser, base_url, tmp_path)
    yield pages
    assert pages.errors == [], "the browser logged errors"
    assert sorted(tmp_path.glob("*.png")), "every visited page leaves a screenshot"


def test_every_page_loads_cleanly(visit: Visit) -> None:
    for path, name, heading in PAGES:
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

    # Good since the 2022 inspection, then the assessment published 30 days before the story's
    # end.
    published = (DEMO_END.date() - timedelta(days=30)).isoformat()
    assert dots("overall") == ["2022-04-20: Good", f"{published}: Inadequate"]
    assert dots("safe") == ["2022-04-20: Good", f"{published}: Inadequate"]
    assert dots("caring") == ["2022-04-20: Good", f"{published}: Good"]
    grid = page.find_element(By.CSS_SELECTOR, "table.grid").text
    assert "Requires improvement" in grid and "Inadequate" in grid
    told = page.find_element(By.ID, "changes").find_element(By.XPATH, "..").text
    assert "pager-webhook: dead" in told and "partner-webhook: sent" in told


def test_the_trust_has_its_page_with_its_rating_timeline_and_its_locations(visit: Visit) -> None:
    page = visit.open("/providers", "providers-list")
    page.find_element(By.LINK_TEXT, TRUST_NAME).click()
    page = visit.settled("trust")
    assert visit.heading() == TRUST_NAME

    def dots(question: str) -> list[str]:
        chart = page.find_element(By.ID, f"chart-{question}")
        titles = chart.find_elements(By.CSS_SELECTOR, "svg circle.dot title")
        return [title.get_attribute("textContent") or "" for title in titles]

    # Rated Good in 2023, downgraded at the inspection published the day before the story's end.
    published = (DEMO_END.date() - timedelta(days=1)).isoformat()
    assert dots("overall") == ["2023-06-14: Good", f"{published}: Requires improvement"]
    assert dots("use of resources") == ["2023-06-14: Good", f"{published}: Requires improvement"]
    assert dots("caring") == ["2023-06-14: Good", f"{published}: Good"]
    told = page.find_element(By.ID, "changes").find_element(By.XPATH, "..").text
    assert "provider_rating_changed" in told and "partner-webhook: sent" in told
    hospitals = page.find_element(By.ID, "provider-locations").find_element(By.XPATH, "..")
    assert "Halstead Community Hospital Ward" in hospitals.text


def test_the_dead_delivery_is_on_deliveries_with_its_error(visit: Visit) -> None:
    page = visit.open("/deliveries", "deliveries")
    section = page.find_element(By.XPATH, "//section[h2[text()='pager-webhook']]")
    # The downgrade's two critical alerts (its rating change and its report, in special
    # measures), the deregistration, and the trust's downgrade.
    assert "Dead\n4" in section.text
    dead = section.find_elements(
        By.XPATH, ".//h3[text()='Dead']/following-sibling::div[1]//tbody/tr"
    )
    assert len(dead) == 4
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


def test_keyboard(visit: Visit) -> None:
    page = visit.open("/changes", "changes")
    page.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = page.switch_to.active_element
    assert focused.text == "Skip to content"


@pytest.mark.parametrize("path", [path for path, _, _ in PAGES])
def test_every_page_shows_all_its_columns_at_desktop_width(visit: Visit, path: str) -> None:
    name = dict((p, n) for p, n, _ in PAGES)[path]
    visit.open(path, f"{name}-desktop")
    assert visit.layout_problems(cards=False) == []
    assert visit.whole_page(f"{name}-desktop-whole").stat().st_size > 10_000


@pytest.mark.parametrize("path", [path for path, _, _ in PAGES])
def test_on_a_phone_every_table_is_cards_with_every_cell_on_screen(visit: Visit, path: str) -> None:
    name = dict((p, n) for p, n, _ in PAGES)[path]
    visit.as_phone()
    page = visit.open(path, f"{name}-phone")
    assert page.execute_script("return window.innerWidth") == PHONE[0]
    assert visit.layout_problems(cards=True) == []
    assert visit.whole_page(f"{name}-phone-whole").stat().st_size > 10_000


@pytest.mark.parametrize("path", [path for path, _, _ in PAGES])
def test_at_every_width_between_nothing_hides_sideways(visit: Visit, path: str) -> None:
    """From the narrowest phone to a desk: tables turn to cards where they would not fit."""
    name = dict((p, n) for p, n, _ in PAGES)[path]
    visit.open(path, name)
    for width in (320, 360, 414, 600, 700, 768, 834, 900, 1024):
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": True}
        visit.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        assert visit.layout_problems(cards=width < CARDS_BELOW) == [], width


def test_on_a_phone_a_change_shows_its_summary_and_location(visit: Visit) -> None:
    visit.as_phone()
    page = visit.open("/changes?severity=critical&type=rating_changed", "changes-phone-critical")
    row = page.find_element(By.CSS_SELECTOR, "table.changes tbody tr")
    cells = {
        cell.get_attribute("data-label"): cell for cell in row.find_elements(By.TAG_NAME, "td")
    }
    assert set(cells) == {"Detected", "Severity", "Type", "Location", "Summary"}
    for label in ("Location", "Summary"):
        assert cells[label].is_displayed()
    assert cells["Location"].text.startswith("Henley House")
    assert "Overall: Good → Inadequate" in cells["Summary"].text
    # A card is about as tall as what it says: not one word per line down a narrow column.
    assert row.size["height"] < 0.8 * PHONE[1]


def test_on_a_phone_the_rating_grid_shows_every_word_whole(visit: Visit) -> None:
    visit.as_phone()
    page = visit.open(f"/locations/{docs.HENLEY}", "henley-phone")
    badges = page.find_elements(By.CSS_SELECTOR, "table.grid .rating")
    words = [badge.text for badge in badges]
    assert "Requires improvement" in words and "Inadequate" in words
    width = PHONE[0]
    for badge in badges:
        left, right = badge.location["x"], badge.location["x"] + badge.size["width"]
        assert left >= 0 and right <= width, badge.text
    overall = page.find_element(By.CSS_SELECTOR, "table.grid td[data-label=Overall]")
    assert "Inadequate" in overall.text


def test_on_a_phone_locations_keep_their_overall_and_state_and_can_be_sorted(
    visit: Visit,
) -> None:
    visit.as_phone()
    page = visit.open("/locations", "locations-phone")
    for row in page.find_elements(By.CSS_SELECTOR, "table.locations tbody tr"):
        for label in ("Overall", "State"):
            cell = row.find_element(By.CSS_SELECTOR, f"td[data-label={label}]")
            assert cell.is_displayed() and cell.text.strip(), (label, row.text)
    page.find_element(By.LINK_TEXT, "Overall").click()
    page = visit.settled("locations-phone-by-rating")
    assert "sort=rating" in page.current_url


def test_deliveries_lists_the_sinks_needing_attention_first(visit: Visit) -> None:
    page = visit.open("/deliveries", "deliveries")
    names = [h2.text for h2 in page.find_elements(By.CSS_SELECTOR, "main section h2")]
    assert names[0] == "pager-webhook", names  # disabled by a 410, two dead
    assert sorted(names[1:]) == names[1:]
    overview = visit.open("/", "overview")
    overview.find_element(By.LINK_TEXT, "pager-webhook").click()
    page = visit.settled("deliveries-from-overview")
    target = page.execute_script("return document.querySelector(':target h2').textContent")
    assert target == "pager-webhook"
