"""A real UI check: JupyterLab in headless Chromium runs a learner notebook; a hint click is recorded.

Needs Debian's chromium (/usr/bin/chromium) and PyPI's playwright (no browser download):
    apt-get install chromium && pip install playwright && just ui-check [b02_no_mask.ipynb]
It prints what it found and leaves screenshots in /tmp/ui_shots. Not part of `just test`.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

repo = Path(__file__).resolve().parent.parent
tmp = Path(tempfile.mkdtemp())
shutil.copytree(repo / "notebooks", tmp / "nb")
env = dict(os.environ, MINIMODEL_THREADS="2", MINIMODEL_RUNS=str(tmp / "runs"),
           MINIMODEL_LEARNERS=str(tmp / "learners"), MINIMODEL_LEARNER="ui-tester")
nb = sys.argv[1] if len(sys.argv) > 1 else "b02_no_mask.ipynb"
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
        page.goto(f"http://127.0.0.1:8899/lab/tree/{nb}?token=tok")
        page.wait_for_selector(".jp-Notebook", timeout=60000)
        time.sleep(5)
        page.click("text=Run", timeout=10000)
        page.click("text=Run All Cells", timeout=10000)
        # wait for the reveal cell's output (the last section) to appear
        deadline = time.time() + 240
        while time.time() < deadline:
            busy = page.query_selector_all(".jp-InputArea-prompt:has-text('[*]')")
            if not busy and page.query_selector_all(".jp-OutputArea-output img"):
                break
            time.sleep(2)
        imgs = page.query_selector_all(".jp-OutputArea-output img")
        print("images in outputs:", len(imgs))
        btn = page.query_selector("button:has-text('Show hint')")
        print("hint button:", btn.inner_text() if btn else None)
        if btn:
            btn.click()
            time.sleep(2)
            btn2 = page.query_selector("button:has-text('Show hint')")
            print("after one click:", btn2.inner_text() if btn2 else None)
        save = page.query_selector("button:has-text('Save my prediction')")
        print("save button:", bool(save))
        if save:
            save.click()
            time.sleep(2)
        errors = page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        print("stderr outputs:", len(errors), [e.inner_text()[:200] for e in errors[:3]])
        # screenshots of key outputs
        out = Path("/tmp/ui_shots")
        out.mkdir(exist_ok=True)
        for i, img in enumerate(imgs[:4]):
            img.scroll_into_view_if_needed()
            img.screenshot(path=str(out / f"img{i}.png"))
        hint_area = page.query_selector("button:has-text('Show hint')")
        if hint_area:
            hint_area.scroll_into_view_if_needed()
            time.sleep(1)
            page.screenshot(path=str(out / "hints.png"))
        recorded = sorted(str(p.relative_to(tmp)) for p in (tmp / "learners").rglob("*.json"))
        print("learner files:", recorded)
        browser.close()
        ok = len(imgs) >= 2 and btn is not None and not errors and any("hints" in r for r in recorded)
        print("UI check", "passed" if ok else "FAILED")
        sys.exit(0 if ok else 1)
finally:
    server.terminate()
