"""The run report in a real browser: the module writes it (ansible-playbook, uploading to the sandbox's S3), headless
Chromium (Debian's ``chromium``) loads it with every request logged and refused, and the test reads the DOM, takes a
screenshot and counts the requests.

Without chromium the tests skip, except under CI (CI=true), where a missing chromium fails them: CI installs it.
"""

import io
import os
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlparse

import pytest
from PIL import Image

from ansible_collections.daylily.ephemeral_cluster.plugins.module_utils import run_report
from testlib import run_report as inputs
from testlib.chromium import Chromium
from testlib.chromium import find_chromium
from testlib.playbooks import run_playbook

BUCKET = "dayec-analysis"
REPORT_KEY = "derived/alice/run42/_daylily_monitor/run-report/run_report.html"

# Everything the test reads from the DOM, in one evaluation.
DOM_FACTS = """(() => {
  const text = (node) => node ? node.textContent.trim() : null;
  const rows = [...document.querySelectorAll('#phases tbody tr')].map(row =>
    [...row.querySelectorAll('td')].map(cell => cell.textContent.trim()));
  const link = document.querySelector('#exports a.receipt-link');
  return {
    title: document.title,
    heading: text(document.querySelector('h1')),
    outcome: document.body.dataset.outcome,
    phases: rows,
    bars: [...document.querySelectorAll('#timeline .track')].map(track =>
      [track.dataset.phase, track.querySelector('.bar') ? track.querySelector('.bar').getBoundingClientRect().width : 0]),
    associations: [...document.querySelectorAll('#associations tbody tr')].map(row =>
      [row.dataset.event, row.dataset.association]),
    objects: text(document.querySelector('#exports .objects')),
    bytes: text(document.querySelector('#exports .bytes')),
    verification: text(document.querySelector('#card-verification .badge')),
    euids: [...document.querySelectorAll('#registrations code.euid')].map(text),
    receipt_href: link ? link.href : null,
    cost: [...document.querySelectorAll('#summary .card')].map(card => text(card)).filter(t => t.startsWith('Cost')),
    active: document.querySelectorAll('script, img, iframe, object, embed, link[rel=stylesheet]').length,
    resources: performance.getEntriesByType('resource').map(entry => entry.name),
  };
})()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if find_chromium() is None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(
                "chromium is not installed, and CI must run the run report's browser test (apt-get install chromium)"
            )
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    with Chromium.start(tmp_path_factory.mktemp("chromium")) as started:
        yield started


def report_vars(tmp_path):
    args = inputs.module_args(tmp_path, s3_uri=inputs.DESTINATION)
    args["report_title"] = args.pop("title")
    return args


def assert_not_blank(png, tmp_path):
    """A real page in the screenshot: wide as asked, many colours, and ink on a good part of it."""
    (tmp_path / "run_report.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width == 1280 and image.height >= 900
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50, "the screenshot has %d colours" % len(colours)
    white = next((count for count, colour in colours if colour == (255, 255, 255)), 0)
    ink = 1 - white / (image.width * image.height)
    assert ink > 0.05, "only %.1f%% of the screenshot is not white" % (100 * ink)
    # the outcome badge and the timeline bars are green (#1a7f37): the stylesheet was applied
    assert any(count > 500 and colour == (0x1A, 0x7F, 0x37) for count, colour in colours)


def test_the_run_report_renders_in_chromium_without_a_single_external_request(sandbox, aws, browser, tmp_path):
    aws("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    variables = report_vars(tmp_path)
    run = run_playbook("run_report.yml", variables)
    assert run.rc == 0, run.failures()
    result = run.result("Write the run report")
    assert result["changed"] is True
    path = Path(result["report_path"])
    stored = aws("s3").get_object(Bucket=BUCKET, Key=REPORT_KEY)
    assert stored["Body"].read() == path.read_bytes()
    assert stored["ContentType"] == "text/html; charset=utf-8"

    page = browser.load(path)
    facts = page.evaluate(DOM_FACTS)

    assert page.requests == [path.resolve().as_uri()], "the page asked for more than itself"
    assert page.blocked == [] and facts["resources"] == []
    assert facts["title"] == facts["heading"] == "day-demo: alice/run42"
    assert facts["outcome"] == "succeeded"
    assert [row[0] for row in facts["phases"]] == [phase["name"] for phase in inputs.PHASES]
    assert facts["phases"][1] == [
        "create",
        "ok",
        "changed",
        "2026-12-06 12:00:41 UTC",
        "2026-12-06 12:21:02 UTC",
        "20 min 21 s",
    ]
    assert facts["phases"][-1][:2] == ["delete", "skipped"]
    bars = dict(facts["bars"])
    assert bars["create"] > bars["wait"] > bars["preflight"] > 0 and bars["delete"] == 0
    assert facts["associations"] == [
        ["attached", "dra-0aaaaaaaaaaaaaaa1"],
        ["attached", "dra-0aaaaaaaaaaaaaaa2"],
        ["detached", "dra-0aaaaaaaaaaaaaaa2"],
    ]
    assert facts["objects"] == "1,234"
    assert facts["bytes"] == "73,400,320 bytes (70.0 MiB)"
    assert facts["verification"] == "verified"
    assert facts["euids"] == inputs.EUIDS
    assert facts["cost"] == ["Cost so far (USD)3.87"]
    assert facts["active"] == 0
    linked = Path(unquote(urlparse(facts["receipt_href"]).path))
    assert linked == Path(variables["receipts"][0]).resolve() and linked.is_file()

    assert_not_blank(page.screenshot(), tmp_path)


def test_the_browser_check_sees_every_request_a_page_makes(browser, tmp_path):
    """The control: a page that does ask for a font, a stylesheet and an image is caught, and nothing leaves."""
    page_path = tmp_path / "leaky.html"
    page_path.write_text(
        "<!DOCTYPE html><html><head><link rel=stylesheet href='https://fonts.example.invalid/css?family=Roboto'>"
        "<style>@font-face{font-family:x;src:url(http://127.0.0.1:9/x.woff2)} body{font-family:x}</style></head>"
        "<body>text<img src='http://127.0.0.1:9/pixel.png'></body></html>",
        encoding="utf-8",
    )
    page = browser.load(page_path)
    assert "https://fonts.example.invalid/css?family=Roboto" in page.blocked
    assert "http://127.0.0.1:9/pixel.png" in page.blocked
    assert len(page.requests) >= 3


def test_the_reports_policy_stops_a_fetch_that_got_into_the_page(browser, tmp_path):
    """Defence in depth: even markup added to the page by hand after it was written fetches nothing."""
    model = run_report.build_report("t", phases=inputs.PHASES)
    tampered = run_report.render_html(model, str(tmp_path)).replace(
        "</body>",
        "<img src='http://127.0.0.1:9/pixel.png'><link rel=stylesheet href='http://127.0.0.1:9/x.css'></body>",
    )
    page_path = tmp_path / "tampered.html"
    page_path.write_text(tampered, encoding="utf-8")
    page = browser.load(page_path)
    assert page.blocked == [], "the requests reached the network layer"
    assert page.failed == {"http://127.0.0.1:9/pixel.png": "csp", "http://127.0.0.1:9/x.css": "csp"}


def test_markup_in_the_inputs_stays_text_in_the_browser(browser, tmp_path):
    hostile = '"><script>document.title="owned"</script><img src=x onerror="document.title=1">'
    model = run_report.build_report(hostile, phases=[{"name": hostile, "status": "skipped"}], registrations=[hostile])
    page_path = tmp_path / "hostile.html"
    page_path.write_text(run_report.render_html(model, str(tmp_path)), encoding="utf-8")
    page = browser.load(page_path)
    facts = page.evaluate(DOM_FACTS)
    assert facts["title"] == facts["heading"] == hostile
    assert facts["phases"][0][0] == hostile
    assert facts["euids"] == [hostile]
    assert facts["active"] == 0
    assert page.requests == [page_path.resolve().as_uri()]
