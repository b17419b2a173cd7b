"""A real UI check: JupyterLab in headless Chromium runs a notebook and the clicks a learner makes are recorded.

A break notebook: Run All, the figures render; a prediction sealed with a confidence per answer, an explanation
and a hint click are recorded. The drill (drill.ipynb): Run All,
one readout requested with the Request button and one diagnosis sealed with the form, both recorded.
Needs Debian's chromium (/usr/bin/chromium) and PyPI's playwright (no browser download):
    apt-get install chromium && pip install playwright && just ui-check [b02_no_mask.ipynb | drill.ipynb]
It prints what it found and leaves screenshots in /tmp/ui_shots. Not part of `just test`.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
SHOTS = Path("/tmp/ui_shots")
LEARNER = "ui-tester"


@contextmanager
def jupyterlab(nb: str, env: dict, tmp: Path):
    """JupyterLab on loopback over a copy of notebooks/, and a Chromium page with `nb` open and run to the end."""
    shutil.copytree(REPO / "notebooks", tmp / "nb")
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
                               "--port", "8899", "--allow-root", "--ServerApp.token=tok",
                               f"--ServerApp.root_dir={tmp / 'nb'}"],
                              env=env, stdout=open(tmp / "server.log", "w"), stderr=subprocess.STDOUT)
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen("http://127.0.0.1:8899/api?token=tok")
                break
            except Exception:
                time.sleep(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:8899/lab/tree/{nb}?reset&token=tok")  # a fresh workspace: only this notebook
            page.wait_for_selector(".jp-Notebook", timeout=60000)
            time.sleep(5)
            page.click("text=Run", timeout=10000)
            page.click("text=Run All Cells", timeout=10000)
            deadline = time.time() + 300  # until no cell is busy and the figures are there
            while time.time() < deadline:
                busy = page.query_selector_all(".jp-InputArea-prompt:has-text('[*]')")
                if not busy and page.query_selector_all(".jp-OutputArea-output img"):
                    break
                time.sleep(2)
            yield page
            browser.close()
    finally:
        server.terminate()


def stderr_outputs(page) -> list[str]:
    errors = page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return [e.inner_text()[:200] for e in errors]


def check_break(nb: str, env: dict, tmp: Path) -> bool:
    with jupyterlab(nb, env, tmp) as page:
        imgs = page.query_selector_all(".jp-OutputArea-output img")
        print("images in outputs:", len(imgs))
        btn = page.query_selector("button:has-text('Show hint')")
        print("hint button:", btn.inner_text() if btn else None)
        if btn:
            btn.click()
            time.sleep(2)
            btn2 = page.query_selector("button:has-text('Show hint')")
            print("after one click:", btn2.inner_text() if btn2 else None)
        for radio in page.query_selector_all(".widget-radio-box"):  # answer every choice: its first option
            radio.query_selector("input[type=radio]").check()
        for sure in page.query_selector_all(".widget-toggle-buttons"):  # and say how sure: high
            sure.query_selector("button:has-text('high')").click()
        page.click("button:has-text('Save my prediction')")
        time.sleep(3)
        tag = json.loads((REPO / "notebooks" / nb).read_text())["metadata"]["minimodel"]["break"]
        path = tmp / "learners" / LEARNER / f"{tag}.prediction.json"
        sealed = json.loads(path.read_text())["versions"] if path.exists() else []
        print("prediction sealed:", [(v["revision"], v.get("confidence")) for v in sealed])
        page.fill("textarea[placeholder^='What did the run show']", "The loss went under the floor: it reads ahead.")
        page.click("button:has-text('Seal my explanation')")
        time.sleep(3)
        path = tmp / "learners" / LEARNER / f"{tag}.explanation.json"
        explained = json.loads(path.read_text())["versions"] if path.exists() else []
        print("explanation sealed:", [(v["revision"], v["text"][:30], bool(v["after_run"])) for v in explained])
        errors = stderr_outputs(page)
        print("stderr outputs:", len(errors), errors[:3])
        for i, img in enumerate(imgs[:4]):
            img.scroll_into_view_if_needed()
            img.screenshot(path=str(SHOTS / f"img{i}.png"))
        recorded = sorted(str(p.relative_to(tmp)) for p in (tmp / "learners").rglob("*.json"))
        print("learner files:", recorded)
        sure = bool(sealed) and set(sealed[-1].get("confidence", {}).values()) == {"high"}
        sure = sure and bool(explained) and explained[-1]["after_run"] is not None
        return len(imgs) >= 2 and btn is not None and not errors and any("hints" in r for r in recorded) and sure


def check_drill(env: dict, tmp: Path) -> bool:
    """Deal two ids, run the drill notebook, request one readout and seal one diagnosis with the widgets."""
    subprocess.run([sys.executable, "-m", "minimodel.cli", "drill", "deal", "--learner", LEARNER, "--n", "2",
                    "--pool", "generation,evaluation"], env=env, check=True)  # two re-measured runs: quick
    drill = tmp / "learners" / LEARNER / "drill"
    with jupyterlab("drill.ipynb", env, tmp) as page:
        before = len(json.loads((drill / "requests.json").read_text()))
        page.click("button:has-text('Request')")  # the first id and detector of the menus
        time.sleep(3)
        requests = json.loads((drill / "requests.json").read_text())
        print("requests logged:", before, "->", len(requests), requests[-1] if requests else None)
        page.locator(".widget-dropdown:has(label:text-is('cause')) select").first.select_option(index=3)  # drill-1
        page.click("button:has-text('high')")
        page.click("button:has-text('Seal drill-1')")
        time.sleep(3)
        path = drill / "diagnoses.json"
        sealed = json.loads(path.read_text()) if path.exists() else []
        print("diagnoses sealed:", [(d["id"], d["choice"][:40], d["confidence"]) for d in sealed])
        page.screenshot(path=str(SHOTS / "drill.png"), full_page=False)
        errors = stderr_outputs(page)
        print("stderr outputs:", len(errors), errors[:3])
        return (len(requests) == before + 1 and any(d["id"] == "drill-1" and d["confidence"] == "high" for d in sealed)
                and not errors)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    SHOTS.mkdir(exist_ok=True)
    env = dict(os.environ, MINIMODEL_THREADS="1", MINIMODEL_RUNS=str(tmp / "runs"),  # the lab's default
               MINIMODEL_LEARNERS=str(tmp / "learners"), MINIMODEL_LEARNER=LEARNER,
               XDG_CONFIG_HOME=str(tmp / "config"))
    nb = sys.argv[1] if len(sys.argv) > 1 else "b02_no_mask.ipynb"
    ok = check_drill(env, tmp) if nb == "drill.ipynb" else check_break(nb, env, tmp)
    print("UI check", "passed" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
