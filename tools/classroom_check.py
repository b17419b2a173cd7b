"""`just classroom-check`: the lab served to a class by a real JupyterHub on loopback, then graded.

It starts JupyterHub (dummy authenticator, every user's server a local process with its own home),
delivers the break notebooks to each user, starts each user's server through the hub's REST API,
seals a different prediction for each and executes one break notebook in each user's own kernel
(over the kernel's websocket, as JupyterLab does), saves the executed notebook back through the
server's contents API, collects the users' work both ways (their learners/ folders, and their saved
notebooks alone, as nbgrader or a zip would bring them) and runs `minimodel grade` on each.
Outside `just test`: it needs `pip install -e ".[classroom]"` and configurable-http-proxy from npm.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = "b01_memorise_sentence.ipynb"  # the quickest break notebook: seconds per user
TAG = "broken-memorise-sentence"
USERS = {  # each user predicts differently, so the gradebook has something to tell apart
    "ada": {"loss": 0.0, "from_bos": "not exactly", "from_prompt": "exactly"},
    "bob": {"loss": 1.5, "from_bos": "exactly", "from_prompt": "exactly"},
    "cara": {"loss": 0.0, "from_bos": "exactly", "from_prompt": "not exactly"},
}
PROXY_HELP = ("configurable-http-proxy not found: install it with "
              "`npm install --prefix ~/.cache/minimodel-hub configurable-http-proxy@4` (or put it on PATH)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_proxy() -> str:
    for candidate in (shutil.which("configurable-http-proxy"),
                      Path.home() / ".cache/minimodel-hub/node_modules/.bin/configurable-http-proxy"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    sys.exit(PROXY_HELP)


def hub_config(tmp: Path, port: int, token: str) -> str:
    """JupyterHub's own configuration file (its format is Python; this one is written here, never taken from users)."""
    homes = tmp / "home"
    return f"""
c = get_config()  # noqa
c.JupyterHub.ip, c.JupyterHub.port = "127.0.0.1", {port}
c.JupyterHub.hub_ip, c.JupyterHub.hub_port = "127.0.0.1", {free_port()}
c.ConfigurableHTTPProxy.command = [{find_proxy()!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{tmp / 'hub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {set(USERS)!r}
c.JupyterHub.spawner_class = "simple"  # each user's server a local process, with its own home folder
c.SimpleLocalProcessSpawner.home_dir_template = {str(homes)!r} + "/{{username}}"
c.Spawner.cmd = [{str(BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}
c.Spawner.start_timeout = c.Spawner.http_timeout = 180
home = lambda s: {str(homes)!r} + "/" + s.user.name  # noqa: E731
c.Spawner.environment = {{
    "MINIMODEL_LEARNER": lambda s: s.user.name,  # the learner is the hub user
    "MINIMODEL_LEARNERS": lambda s: home(s) + "/learners",  # runs and seals in the user's own home
    "MINIMODEL_RUNS": lambda s: home(s) + "/runs",
    "MINIMODEL_CACHE": lambda s: home(s) + "/.cache/minimodel",
    "MINIMODEL_HEADLESS": "1", "MINIMODEL_THREADS": "1", "MINIMODEL_JOBS": "1",
}}
c.JupyterHub.services = [{{"name": "classroom-check", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "classroom-check", "services": ["classroom-check"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}}]
"""


def api(base: str, token: str, method: str, path: str, body: dict | None = None):
    req = urllib.request.Request(base + path, method=method, headers={"Authorization": f"token {token}"},
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read().decode()
    return json.loads(text) if text else None


def wait_until(ready, what: str, timeout: float = 180) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


async def execute(ws_url: str, token: str, user: str, sources: list[str]) -> list[list[dict]]:
    """Run each source in the user's kernel, in order; the outputs of each, as a notebook stores them."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}),
                                   max_message_size=64 * 2**20)
    session, all_outputs = uuid.uuid4().hex, []
    for code in sources:
        msg_id = uuid.uuid4().hex
        await conn.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": user, "session": session, "msg_type": "execute_request",
                       "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        outputs, idle, reply = [], False, None
        while not (idle and reply):
            msg = json.loads(await asyncio.wait_for(conn.read_message(), timeout=600))
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status":
                idle = content["execution_state"] == "idle"
            elif kind == "execute_reply":
                reply = content
            elif kind == "stream":
                outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("display_data", "execute_result"):
                out = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
                if kind == "execute_result":
                    out["execution_count"] = content["execution_count"]
                outputs.append(out)
            elif kind == "error":
                outputs.append({"output_type": "error", **{k: content[k] for k in ("ename", "evalue", "traceback")}})
        if reply["status"] != "ok":
            raise RuntimeError(f"{user}: a cell failed: {reply.get('ename')}: {reply.get('evalue')}")
        all_outputs.append(outputs)
    conn.close()
    return all_outputs


def work_as(user: str, base: str, hub_token: str, answers: dict) -> str:
    """Start the user's server, execute the break notebook in it, save it back; the user's token."""
    token = api(base, hub_token, "POST", f"/hub/api/users/{user}/tokens", {"note": "classroom-check"})["token"]
    api(base, hub_token, "POST", f"/hub/api/users/{user}/server")
    wait_until(lambda: api(base, hub_token, "GET", f"/hub/api/users/{user}")["servers"].get("", {}).get("ready"),
               f"{user}'s server")
    server = f"{base}/user/{user}"
    nb = api(server, token, "GET", f"/api/contents/notebooks/{NOTEBOOK}")["content"]
    answers = json.dumps({**answers, "explain": f"{user} thinks so"})
    seal = ("from minimodel.catalogue import find_break\nfrom minimodel.classroom import predictions\n"
            f"predictions.seal({user!r}, find_break({TAG!r}), {answers})")
    kernel = api(server, token, "POST", "/api/kernels", {"name": "python3"})
    ws = server.replace("http://", "ws://") + f"/api/kernels/{kernel['id']}/channels"
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    outputs = asyncio.run(execute(ws, token, user, [code_cells[0]["source"], seal]
                                  + [c["source"] for c in code_cells[1:]]))
    code_cells[0]["outputs"] = outputs[0] + outputs[1]
    for cell, out in zip(code_cells[1:], outputs[2:]):
        cell["outputs"] = out
    api(server, token, "PUT", f"/api/contents/notebooks/{NOTEBOOK}", {"type": "notebook", "format": "json",
                                                                      "content": nb})
    api(server, token, "DELETE", f"/api/kernels/{kernel['id']}")
    return token


def grade(folder: Path, out: Path) -> str:
    r = subprocess.run([str(BIN / "minimodel"), "grade", str(folder), "--out", str(out)],
                       capture_output=True, text=True, env={**os.environ, "MINIMODEL_THREADS": "1"})
    return (r.stdout + r.stderr).strip() + f"\n(exit {r.returncode})"


def main() -> None:
    if shutil.which("jupyterhub", path=str(BIN)) is None:
        sys.exit('jupyterhub not installed: pip install -c constraints.txt -e ".[classroom]"')
    find_proxy()
    with tempfile.TemporaryDirectory(prefix="minimodel-hub-") as tmp:
        tmp, port, token = Path(tmp), free_port(), secrets.token_hex(32)
        for user in USERS:  # delivering the notebooks: what nbgitpuller or a hub start-up hook does in a real class
            shutil.copytree(ROOT / "notebooks", tmp / "home" / user / "notebooks")
        (tmp / "jupyterhub_config.py").write_text(hub_config(tmp, port, token))
        hub = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(tmp / "jupyterhub_config.py")], cwd=tmp,
                               stdout=open(tmp / "hub.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: api(base, token, "GET", "/hub/api/") is not None, "the hub", 90)
            print(f"JupyterHub {api(base, token, 'GET', '/hub/api/')['version']} on {base} "
                  f"(dummy authenticator, local process spawner)")
            # the allowed users exist from the hub's start; each logs in here only through the API
            for user, answers in USERS.items():
                t0 = time.time()
                work_as(user, base, token, answers)
                print(f"  {user}: server started through the hub's API, {NOTEBOOK} executed in {user}'s kernel "
                      f"and saved ({time.time() - t0:.0f} s)")
            collected = tmp / "collected"
            for user in USERS:  # what an instructor collects: each home's learners/ folder, or the notebooks alone
                shutil.copytree(tmp / "home" / user / "learners" / user, collected / "learners" / user)
                (collected / "submitted" / user / "ps1").mkdir(parents=True)
                shutil.copy(tmp / "home" / user / "notebooks" / NOTEBOOK, collected / "submitted" / user / "ps1")
            print("\n$ just grade collected/learners/\n" + grade(collected / "learners", tmp / "graded-learners"))
            print("\n$ just grade collected/submitted/   # the saved notebooks only, as nbgrader collects them\n"
                  + grade(collected / "submitted", tmp / "graded-notebooks"))
            for name in ("graded-learners", "graded-notebooks"):
                rows = list((tmp / name / "gradebook.csv").read_text().splitlines())
                print(f"\n{name}/gradebook.csv ({len(rows) - 1} rows):")
                print("\n".join(r for r in rows if r.startswith("learner") or ",from_bos," in r))
        except Exception:
            print((tmp / "hub.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            for user in USERS:
                try:
                    api(base, token, "DELETE", f"/hub/api/users/{user}/server")
                except OSError:
                    pass
            os.killpg(hub.pid, signal.SIGTERM)
            hub.wait(timeout=30)


if __name__ == "__main__":
    main()
