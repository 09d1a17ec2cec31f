"""The README and docs/ hold together: every link between them resolves, the settings reference
names every setting and check id the app has, and the benchmark chart shows the recorded numbers."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks import chart
from uploads import conf

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SVG = "{http://www.w3.org/2000/svg}"

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)


def prose(text):
    """The page without code blocks and code spans, where brackets are not links."""
    return CODE.sub("", FENCE.sub("", text))


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    found, seen = set(), {}
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links():
    for page in PAGES:
        for target in LINK.findall(prose(page.read_text())):
            if not re.match(r"^[a-z]+:", target):
                yield pytest.param(page, target, id=f"{page.relative_to(ROOT)}->{target}")


def test_slug_follows_githubs_rule_for_code_and_punctuation():
    assert slug("`PERMISSION: str | callable | None`") == "permission-str--callable--none"
    assert slug("`REJECTION_REASONS: list[tuple[str, str]]`") == "rejection_reasons-listtuplestr-str"
    assert slug("Pillow or pyvips: measured") == "pillow-or-pyvips-measured"


@pytest.mark.parametrize(("page", "target"), list(links()))
def test_every_relative_link_in_the_readme_and_docs_resolves(page, target):
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.is_file(), f"{page.name} links to {path}, which does not exist"
    if anchor:
        assert anchor in anchors(linked), (
            f"{page.name} links to #{anchor}, which {linked.name} has no heading for"
        )


def test_the_readme_links_every_page_of_the_docs():
    linked = {
        Path(target.partition("#")[0]).name
        for target in LINK.findall(prose((ROOT / "README.md").read_text()))
    }
    assert {page.name for page in PAGES[1:]} <= linked


def test_the_readme_stays_a_newcomers_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def test_the_settings_reference_has_a_heading_for_every_setting():
    headings = "\n".join(HEADING.findall((ROOT / "docs" / "settings.md").read_text()))
    assert [name for name in conf.DEFAULTS if f"`{name}" not in headings] == []


def test_the_settings_reference_names_every_check_id_the_app_has():
    code = "\n".join(path.read_text() for path in (ROOT / "uploads").rglob("*.py"))
    ids = set(re.findall(r"uploads\.[EW]\d{3}", code))
    documented = (ROOT / "docs" / "settings.md").read_text()
    # A range such as "uploads.E014 to uploads.E017" names its ends only.
    ranges = re.findall(r"uploads\.([EW])(\d{3})` to `uploads\.\1(\d{3})", documented)
    spanned = {f"uploads.{kind}{n:03d}" for kind, low, high in ranges for n in range(int(low), int(high) + 1)}
    assert sorted(ids - set(re.findall(r"uploads\.[EW]\d{3}", documented)) - spanned) == []


def test_the_chart_draws_one_bar_per_recorded_comparison_with_its_ratio():
    results = chart.load()
    svg = ET.fromstring(chart.render(results))
    compared = [figure for figure in results["figures"] if figure["ratio"] is not None]
    bars = [rect for rect in svg.iter(f"{SVG}rect") if float(rect.get("height")) == 16]
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert len(bars) == len(compared) == 15
    widths = [float(bar.get("width")) for bar in bars]
    for figure, width in zip(compared, widths, strict=True):
        assert width / widths[0] == pytest.approx(figure["ratio"] / compared[0]["ratio"], rel=0.01)
        assert figure["name"] in texts
    assert [text for text in texts if re.match(r"\d\.\d\d×", text)][:3] == [
        "0.79× · target ≥ 0.8× the parts' rate (≤ parts + 25 %)",
        "0.59×",
        "0.62×",
    ]
    assert [bar.get("fill") for bar in bars][:4] == ["#c62828", "#607d8b", "#607d8b", "#c62828"]
    assert "full run of 2026-11-27" in svg.find(f"{SVG}title").text


def test_the_chart_in_the_docs_is_drawn_from_the_recorded_results():
    assert (ROOT / "docs" / "benchmarks.svg").read_text() == chart.render(chart.load())
