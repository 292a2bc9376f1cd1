"""The built course website in a real browser: Debian's headless Chromium, driven by
Selenium through Debian's chromedriver, the site served on localhost by this test.

Build the site first (``minidl site``; ``MINIDL_SITE=DIR`` for one built with ``--out DIR``),
then ``pytest -m site tests/site``. A missing site, browser or driver fails these tests: they
never skip. Checked: every page loads with no console error and asks nothing of any server
but this one; no internal link (its #fragment included) or image is broken; every lesson page
shows its plots and links its notebook; the search finds ``max_unpool2d``; the page of
``F.conv2d`` names its kernel files and links them to their source. Screenshots of three
pages go to DIR/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("MINIDL_SITE", REPO / "build" / "site")).resolve()
HTML = SITE / "html"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# what this closed network needs of Chromium (else it tries to reach Google's services)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
# a page is loaded when the document is, and MathJax (on pages with math) has typeset
SETTLED = """
const done = arguments[arguments.length - 1];
const typeset = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise.then(() => done(true), () => done(false)) : done(true);
if (document.readyState === "complete") typeset();
else window.addEventListener("load", typeset);
"""
# what a page holds: its links, images (loaded or not), ids, and whether it is a lesson
INVENTORY = """
return {
  links: [...document.querySelectorAll("a[href]")].map(a => a.href),
  images: [...document.images].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0,
                                          shown: i.getBoundingClientRect().width})),
  ids: [...document.querySelectorAll("[id]")].map(e => e.id),
  downloads: [...document.querySelectorAll("p.minidl-notebook a")].map(a => a.href),
};
"""


def _require_site() -> None:
    assert (HTML / "index.html").exists(), (
        f'no built site at {HTML}: build it with `minidl site` (pip install -e ".[site]" '
        "first), or set MINIDL_SITE=DIR for a site built with `minidl site --out DIR`"
    )


@pytest.fixture(scope="module")
def base_url():
    _require_site()
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002  (the base class's name)
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        assert binary.exists(), f"{binary} is missing: apt-get install -y chromium chromium-driver"
    profile = tempfile.mkdtemp(prefix="minidl-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver, url: str) -> bool:
    driver.get(url)
    return driver.execute_async_script(SETTLED)


def _requests(driver) -> list[str]:
    """The URLs the page asked for since the last call (Chromium's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def pages() -> list[str]:
    return sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html"))


@pytest.fixture(scope="module")
def crawl(browser, base_url):
    """Every page of the site opened once: its console errors, requests and inventory."""
    seen = {}
    browser.get_log("browser"), browser.get_log("performance")  # start with empty logs
    for page in pages():
        typeset = _open(browser, base_url + page)
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        seen[page] = {
            **browser.execute_script(INVENTORY),
            "errors": errors + ([] if typeset else ["MathJax failed to typeset the page"]),
            "requests": _requests(browser),
        }
    return seen


def test_the_site_has_its_parts():
    _require_site()
    have = set(pages())
    lessons = sorted(p.stem for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
    missing = [f"lessons/{name}.html" for name in lessons if f"lessons/{name}.html" not in have]
    for page in ("index.html", "search.html", "api/index.html", "api/F/index.html", "lab.html"):
        missing += [] if page in have else [page]
    for page in ("minidl/kernels/README.html", "benchmarks/README.html", "measured.html"):
        missing += [] if page in have else [page]
    missing += [] if "docs/compatibility.html" in have else ["docs/compatibility.html"]
    assert not missing, f"pages missing from {HTML}: {missing}"


def test_no_page_loads_scripts_styles_or_fonts_from_elsewhere():
    _require_site()
    remote = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=["']?"""
                        r"""(?:https?:)?//""", re.IGNORECASE)  # fmt: skip
    css_remote = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])(?:https?:)?//""", re.IGNORECASE)
    found = [p for p in pages() if remote.search((HTML / p).read_text(encoding="utf-8"))]
    for css in HTML.rglob("*.css"):
        if css_remote.search(css.read_text(encoding="utf-8", errors="replace")):
            found.append(css.relative_to(HTML).as_posix())
    assert not found, f"files that load a script, style, font or image from the network: {found}"


def test_every_page_loads_without_console_errors(crawl):
    errors = {page: seen["errors"] for page, seen in crawl.items() if seen["errors"]}
    assert not errors, f"console errors: {json.dumps(errors, indent=1)[:4000]}"


def test_no_page_asks_anything_of_another_server(crawl, base_url):
    # chrome://, data: and blob: URLs are the browser's own, not the network's
    network = ("http:", "https:", "ws:", "wss:", "ftp:")
    elsewhere = {
        page: [u for u in seen["requests"] if u.startswith(network) and not u.startswith(base_url)]
        for page, seen in crawl.items()
    }
    elsewhere = {page: urls for page, urls in elsewhere.items() if urls}
    assert not elsewhere, f"requests that left localhost: {elsewhere}"


def test_no_internal_link_or_image_is_broken(crawl, base_url):
    broken = []
    for page, seen in crawl.items():
        for url in seen["links"]:
            if not url.startswith(base_url):
                continue  # a link out of the site (none is fetched: see the test above)
            target, fragment = urldefrag(url)
            path = unquote(urlsplit(target).path).lstrip("/") or "index.html"
            if path.endswith("/"):
                path += "index.html"
            if not (HTML / path).is_file():
                broken.append(f"{page}: link to {path} (no such file)")
            elif fragment and path in crawl and unquote(fragment) not in crawl[path]["ids"]:
                broken.append(f"{page}: link to {path}#{fragment} (no such id there)")
        broken += [f"{page}: image {i['src']} did not load" for i in seen["images"] if not i["ok"]]
    assert not broken, f"{len(broken)} broken links or images:\n" + "\n".join(broken[:50])


def test_every_lesson_page_shows_its_plots_and_links_its_notebook(crawl):
    lessons = {page: seen for page, seen in crawl.items() if re.match(r"lessons/\d\d_", page)}
    assert len(lessons) == len(list((REPO / "lessons").glob("[0-9][0-9]_*.ipynb")))
    problems = []
    for page, seen in lessons.items():
        plots = [i for i in seen["images"] if "/_images/" in i["src"] and i["ok"]]
        if not plots or min(i["shown"] for i in plots) < 100:
            widths = [i["shown"] for i in plots]
            problems.append(f"{page}: {len(plots)} plots shown (widths {widths})")
        notebook = Path(page).stem + ".ipynb"
        if not any(url.endswith("/" + notebook) for url in seen["downloads"]):
            problems.append(f"{page}: no download link to {notebook} ({seen['downloads']})")
    assert not problems, "\n".join(problems)


def _screenshot(driver, name: str) -> Path:
    folder = SITE / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    return path


def test_a_lesson_page_with_its_plot_screenshot(browser, base_url):
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, base_url + "lessons/02_down_and_up.html")
    plot = browser.find_element("css selector", "img[src*='_images/']")
    # scrolled to, loaded (pictures below the fold may load late), then scrolled to again,
    # since the pictures above it may have moved it
    loaded = "return arguments[0].complete && arguments[0].naturalWidth > 0"
    for _ in range(2):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(loaded, plot))
        time.sleep(0.3)
    assert _screenshot(browser, "lesson-02_down_and_up").stat().st_size > 10_000


def test_search_finds_max_unpool2d(browser, base_url):
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, base_url + "search.html?q=max_unpool2d")
    results = "#search-results ul.search li"
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements("css selector", results) or None,
        message="the search for max_unpool2d listed nothing",
    )
    found = [li.text for li in browser.find_elements("css selector", results)]
    assert any("max_unpool2d" in text for text in found), found
    links = [a.get_attribute("href") for a in browser.find_elements("css selector", f"{results} a")]
    assert any("minidl.nn.functional.max_unpool2d" in url for url in links), links
    _screenshot(browser, "search-max_unpool2d")


def test_the_page_of_f_conv2d_names_its_kernel_files(browser, base_url):
    _open(browser, base_url + "api/F/index.html")
    _open(browser, browser.find_element("link text", "F.conv2d").get_attribute("href"))
    entry = browser.find_element("id", "minidl.nn.functional.conv2d").find_element("xpath", "..")
    text = entry.text
    named = sorted(set(re.findall(r"minidl/kernels/\w+/\w+\.py", text)))
    assert "minidl/kernels/im2col/cpu.py" in named, f"kernel files named: {named}"
    links = {
        a.text: a.get_attribute("href")
        for a in entry.find_elements("css selector", "a")
        if a.text.startswith("minidl/kernels/")
    }
    assert set(named) <= set(links), f"kernel files not linked to their source: {named} {links}"
    # the entry's top below the page's header, its kernel table in view
    browser.execute_script("arguments[0].scrollIntoView(); window.scrollBy(0, -60)", entry)
    _screenshot(browser, "api-F.conv2d")
    _open(browser, links["minidl/kernels/im2col/cpu.py"])
    assert "def im2col" in browser.find_element("tag name", "body").text
