"""The layout holds: each layer imports only the layers below it, no private name crosses modules, no module is
long, only minimodel/settings.py reads the environment, and the control cache digests all the training code."""
import ast
import importlib.util
from pathlib import Path

from minimodel.catalogue.scaffold import next_steps
from minimodel.harness.control_cache import TRAINING_CODE

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minimodel"
CORE = {"model", "seams", "probes", "tokenizer", "tasks", "data", "train", "evaluate", "metrics", "detectors", "plots",
        "recipes", "competence", "serve"}
FRONT_DOORS = {"minimodel.lab", "minimodel.drill"}  # with every module of minimodel/cli/: they may import anything
BASE = {"settings", "files"}  # every layer may read the settings and write files whole
MAY_IMPORT = {  # layer -> the layers its modules may import from (the core is the learner's GPT and its measurements)
    "package": {"settings"},  # minimodel/__init__.py: it applies MINIMODEL_ISA before anything imports torch
    "settings": set(),
    "files": set(),
    "core": {"core"} | BASE,
    "catalogue": {"core", "catalogue"} | BASE,
    "checkup": {"core", "checkup"} | BASE,
    "notebooks": {"core", "catalogue", "notebooks"} | BASE,
    "harness": {"core", "catalogue", "notebooks", "checkup", "harness"} | BASE,  # the breaks prove the checkup
    "classroom": {"core", "catalogue", "harness", "classroom"} | BASE,
}


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> str:
    parts = module.split(".")
    return "package" if len(parts) == 1 else "core" if parts[1] in CORE else parts[1]


def _imports(module: str) -> list[tuple[str, str]]:
    """(imported module, name) for every `import` in the module, at any depth; name is '' for `import x`."""
    out = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:  # `from minimodel import seams` imports the module minimodel.seams
                sub = f"{node.module}.{a.name}"
                out.append((sub, "") if sub in MODULES else (node.module, a.name))
    return out


def _door(module: str) -> bool:
    return module in FRONT_DOORS or module.startswith("minimodel.cli")


def test_every_layer_imports_only_the_layers_below_it():
    wrong = []
    for module in MODULES:
        if _door(module):
            continue
        allowed = MAY_IMPORT[_layer(module)]
        wrong += [f"{module} imports {target}" for target, _ in _imports(module)
                  if (target.startswith("minimodel.") and target in MODULES and _layer(target) not in allowed)
                  or (target.split(".")[0] == "breaks" and _layer(module) != "catalogue")  # the catalogue loads it
                  or _door(target)]
    assert wrong == []


def test_the_import_graph_has_no_circle():
    """No module imports, directly or through others, a module that imports it (function-level imports too)."""
    graph = {m: {t for t, _ in _imports(m) if t in MODULES and t != m and t != "minimodel"} for m in MODULES}
    state: dict[str, str] = {}
    circles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_private_name_is_imported_across_modules():
    crossing = [f"{module}: from {target} import {name}" for module in MODULES for target, name in _imports(module)
                if name.startswith("_") and not name.startswith("__")
                and target.split(".")[0] in ("minimodel", "breaks")]
    assert crossing == []


def test_no_module_is_over_400_lines():
    assert {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 400} == {}


def test_only_settings_reads_the_environment():
    readers = [m for m, p in MODULES.items() if "environ" in p.read_text() or "getenv" in p.read_text()]
    assert readers == ["minimodel.settings"]


def test_the_control_cache_digests_every_module_that_trains_or_measures():
    """Whatever minimodel.harness.runner imports, directly or not, decides a control's numbers; the
    recipes' values are in the cache key themselves."""
    seen, todo = set(), ["minimodel.harness.runner"]
    while todo:
        module = todo.pop()
        seen.add(module)
        todo += [t for t, _ in _imports(module) if t in MODULES and t not in seen and t != "minimodel"]
    assert set(TRAINING_CODE) == seen - {"minimodel.recipes"}
    assert all(importlib.util.find_spec(name) is not None for name in TRAINING_CODE)


DOCS = ROOT / "docs"


def test_the_layout_page_names_every_module_and_folder():
    layout = (DOCS / "contributors" / "layout.md").read_text()
    block = layout[layout.index("```"):]
    missing = [m for m, p in MODULES.items() if p.name != "__init__.py" and p.name not in block]
    folders = [d for d in PACKAGE.iterdir() if (d / "__init__.py").exists()]
    folders += [ROOT / name for name in ("breaks", "bench", "notebooks", "solutions", "tests", "tools", "docs")]
    missing += [f"{d.name}/" for d in folders if f"{d.name}/" not in block]
    assert missing == []
    named = {w.strip("(),`") for w in block.split() if w.strip("(),`").endswith(".py") and "<" not in w}
    assert not [n for n in named if not list(ROOT.glob(f"**/{n}"))], "the layout names a file the tree lacks"


def test_the_adding_a_break_page_lists_what_just_new_prints():
    page = (DOCS / "contributors" / "adding-a-break.md").read_text()
    for step in next_steps("broken-SLUG")[1:5]:
        assert step.split("#")[0].strip() in page, step


def test_every_script_imports_names_the_lab_still_has():
    """tools/ and bench/ run outside pytest: a name they import from the lab that moved would fail only there."""
    import importlib

    missing = []
    for script in sorted([*(ROOT / "tools").glob("*.py"), *(ROOT / "bench").glob("*.py")]):
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minimodel"):
                module = importlib.import_module(node.module)
                missing += [f"{script.name}: {node.module}.{a.name}" for a in node.names if not hasattr(module, a.name)
                            and importlib.util.find_spec(f"{node.module}.{a.name}") is None]
    assert missing == []
