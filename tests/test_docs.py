"""The documentation site builds strictly, a broken link or a page left out of the navigation fails it, the
README stays a front door, and the pages that list seams, detectors and recipes name every one."""
import re
import shutil
from pathlib import Path

import pytest

from minimodel import seams
from minimodel.detectors import DETECTORS
from minimodel.recipes import RECIPES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def build(root: Path, site: Path) -> None:
    """`mkdocs build --strict` of the site whose mkdocs.yml is in `root`, in this process (about a second)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=True, site_dir=str(site)))


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")  # Material's notice about its successor, once per build


def test_the_docs_build_strictly(tmp_path):
    build(ROOT, tmp_path / "site")
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "figures" / "no-mask-loss.png").exists()


def _copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    return tmp_path


def test_a_copy_of_the_docs_builds_on_its_own(tmp_path):
    build(_copy(tmp_path), tmp_path / "site")  # so each failure below is the one breakage made in it


BREAKAGES = {
    "a link to a page that does not exist": ("index.md", "\nSee [the missing page](no-such-page.md).\n"),
    "a link to an anchor that does not exist": ("index.md", "\nSee [the margin](contributors/contract.md#nope).\n"),
    "a page missing from the navigation": ("orphan.md", "# A page nobody links to\n"),
    "a snippet whose file does not exist": ("index.md", '\n--8<-- "figures/no-such-file.txt"\n'),
}


@pytest.mark.parametrize("page, text", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_broken_docs_tree_fails_the_strict_build(tmp_path, page, text):
    from mkdocs.exceptions import Abort
    from pymdownx.snippets import SnippetMissingError

    with open(_copy(tmp_path) / "docs" / page, "a") as f:
        f.write(text)
    with pytest.raises((Abort, SnippetMissingError)):
        build(tmp_path, tmp_path / "site")


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into a page under docs/"
    for marker in ("quickstart:start", "quickstart:end", "catalogue:start", "catalogue:end"):
        assert f"<!-- {marker} -->" in lines
    targets = re.findall(r"\]\(([^)#]+)[^)]*\)", "\n".join(lines))  # links and images, anchors cut
    assert targets and [t for t in targets if not (ROOT / t).exists()] == [], "README.md links to a missing file"


def _rows(page: str) -> dict[str, str]:
    """`name` -> the rest of its row, for every table row of a docs page that starts with a code span."""
    text = (DOCS / page).read_text()
    return {m[1]: m[2] for m in re.finditer(r"^\| `([a-z0-9_-]+)` \|(.*)$", text, re.MULTILINE)}


def test_the_seams_page_names_every_seam_and_every_detector_with_its_threshold():
    rows = _rows("contributors/seams-and-detectors.md")
    assert [name for name in seams.REGISTRY if name not in rows] == []
    wrong = [name for name, d in DETECTORS.items()
             if not rows.get(name, "").rstrip(" |").split("|")[-1].strip().startswith(
                 f"{'>' if d.fires_above else '<'} {d.threshold:g}")]
    assert wrong == [], "the detectors table differs from minimodel/detectors.py"


def test_the_contract_page_names_every_recipe():
    rows = _rows("contributors/contract.md")
    assert [name for name in RECIPES if name not in rows] == []
