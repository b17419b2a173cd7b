# minimodel break lab: `just` or `just --list` shows every recipe.
set shell := ["bash", "-euo", "pipefail", "-c"]

# every recipe runs this Python: the project's .venv when it exists, else the active environment's (conda, a venv)
python := if path_exists(justfile_directory() / ".venv/bin/python") == "true" { justfile_directory() / ".venv/bin/python" } else { "python" }
where := if python == "python" { "python from the active environment, no .venv here" } else { ".venv/bin/python" }

# the recipes, headed by the Python they run
[private]
default:
    @{{just_executable()}} --justfile {{justfile()}} --list --unsorted --list-heading "Recipes (they run {{where}}):"$'\n'

# a clear error when that Python cannot run the lab
[private]
ready:
    @{{python}} -c 'import minimodel' 2>/dev/null || { echo "error: {{where}} cannot import minimodel; run: just setup," \
        "or install the lab into your environment: pip install -c constraints.txt -e '.[dev]'" >&2; exit 1; }

# which Python the recipes run: .venv/bin/python when .venv exists, else the active environment's
env: ready
    @echo "recipes run {{where}}: $({{python}} -c 'import sys; print(sys.executable)')"

# create .venv and install the lab (torch held to the CPU wheel by constraints.txt)
setup:
    @test -x .venv/bin/python || python3.11 -m venv .venv
    @.venv/bin/pip install -q -c constraints.txt -e ".[dev]"

# run an experiment: just exp 17-train-mini --tag broken-no-mask [--steps N] [--seed S]
[no-exit-message]
exp NAME *ARGS: ready
    @{{python}} -m minimodel.cli exp {{NAME}} {{ARGS}}

# the catalogue: just breaks list | just breaks show broken-no-mask
[no-exit-message]
breaks *ARGS: ready
    @{{python}} -m minimodel.cli breaks {{ARGS}}

# scaffold a new break: just new SLUG [--seam NAME] [--recipe NAME] writes breaks/bNN_<slug>.py
[no-exit-message]
new SLUG *ARGS: ready
    @{{python}} -m minimodel.cli new {{SLUG}} {{ARGS}}

# (--drift: no training, seconds; --seeds 0-9 prints each detector's worst seed; MINIMODEL_THREADS=1 runs 2 at a time)
# every break: metadata, symptom fires broken and is quiet fixed with a margin; notebooks, answer keys, README current
[no-exit-message]
check *ARGS: ready
    @{{python}} -m minimodel.cli check {{ARGS}}

# per recipe: steps for the healthy control to learn its task, and its final exact match, over seeds 0-9
[no-exit-message]
calibrate *ARGS: ready
    @{{python}} -m minimodel.cli calibrate {{ARGS}}

# ruff over the whole tree (the configuration is in pyproject.toml)
lint: ready
    @{{python}} -m ruff check .

# (two pytest workers of one thread each; the healthy controls they train are cached for the notebooks)
# lint, the docs built strictly, unit tests, the break contract on seed 0 (the checker), CLI error paths; the
# controls' competence again under another CPU's instruction set (MINIMODEL_ISA=avx2); then nbval over every notebook
test *ARGS: ready
    @{{just_executable()}} --justfile {{justfile()}} lint
    @tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT && NO_MKDOCS_2_WARNING=1 {{python}} -m mkdocs build --strict --site-dir "$tmp/site"
    @tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT && export MINIMODEL_CACHE="${MINIMODEL_CACHE:-$tmp/cache}" && \
        MINIMODEL_THREADS=1 MINIMODEL_JOBS=1 {{python}} -m pytest -n ${TEST_WORKERS:-2} {{ARGS}} && \
        if [ -z "{{ARGS}}" ]; then \
            MINIMODEL_ISA=avx2 MINIMODEL_THREADS=1 MINIMODEL_JOBS=1 {{python}} -m pytest -n ${TEST_WORKERS:-2} \
                tests/test_contract.py -k competent_with_the_margin && \
            {{just_executable()}} --justfile {{justfile()}} nbval; fi

# grading against N generated hostile learner folders, notebooks and zips per property (`just test` runs 12)
hostile N="500": ready
    @MINIMODEL_THREADS=1 MINIMODEL_JOBS=1 MINIMODEL_HOSTILE_EXAMPLES={{N}} {{python}} -m pytest -p no:cacheprovider \
        tests/test_hostile_files.py

# every learner and solution notebook executed headless (nbval, 2 kernels of 1 thread, runs in a temp folder)
nbval *ARGS: ready
    @tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT && \
        MINIMODEL_THREADS=1 MINIMODEL_JOBS=1 MINIMODEL_HEADLESS=1 MINIMODEL_RUNS="$tmp/runs" \
        MINIMODEL_LEARNERS="$tmp/learners" MINIMODEL_CACHE="${MINIMODEL_CACHE:-$tmp/cache}" \
        {{python}} -m pytest --nbval-lax --nbval-current-env -n ${NBVAL_WORKERS:-2} --dist loadfile \
        -p no:cacheprovider notebooks solutions {{ARGS}}

# regenerate every learner and solution notebook (and the capstone) from breaks/ and the one template
notebooks: ready
    @{{python}} -m minimodel.notebooks

# JupyterLab on notebooks/, loopback only, no browser (--allow-root when run as root): `minimodel lab notebooks`
lab: ready
    @{{python}} -m minimodel.cli lab notebooks

# the documentation site from docs/ into site/ (strict: a broken link or a page missing from the nav fails)
docs: ready
    @NO_MKDOCS_2_WARNING=1 {{python}} -m mkdocs build --strict && echo "built site/; open site/index.html"

# train broken-no-mask at seed 0 and copy its figures and verdict into docs/figures/ (commit what it writes)
docs-figures: ready
    @{{python}} tools/docs_figures.py

# throughput and time-to-verdict table (figures, not a test); just bench TAG... times those verdicts only
[no-exit-message]
bench *TAGS: ready
    @{{python}} -m bench.bench {{TAGS}}

# seal a prediction before running a break: just predict broken-no-mask --learner ada [--answers FILE]
[no-exit-message]
predict BREAK *ARGS: ready
    @{{python}} -m minimodel.cli predict {{BREAK}} {{ARGS}}

# after the run, seal what you observed and why: just explain broken-no-mask --learner ada [--text "..."]
[no-exit-message, positional-arguments]
explain BREAK *ARGS: ready
    @{{python}} -m minimodel.cli explain "$@"

# where a learner stands, break by break, and the next step: just status --learner ada [--json]
[no-exit-message]
status *ARGS: ready
    @{{python}} -m minimodel.cli status {{ARGS}}

# the blind drill: just drill deal --learner ada [--n 5] [--pool PHASES] [--review]; drill show|request|choices|diagnose|reveal
[no-exit-message, positional-arguments]
drill *ARGS: ready
    @{{python}} -m minimodel.cli drill "$@"

# grade every learner x break x question: just grade learners/ [--out DIR] [--breaks TAGS]
[no-exit-message]
grade DIR *ARGS: ready
    @{{python}} -m minimodel.cli grade {{DIR}} {{ARGS}}

# the catalogue's pages from the breaks and what `just check` measured: the README's listing, docs/measurements/,
# the breaks x checks matrix on docs/checkup.md
[no-exit-message]
catalogue: ready
    @{{python}} -m minimodel.cli catalogue

# docs/target-masking-report.md from the cells `just exp report-target-masking` saved
[no-exit-message]
report-page: ready
    @{{python}} -m minimodel.cli report-page

# answer keys for grading learners who have no run: solutions/<bNN_slug>/answer_key.json
[no-exit-message]
answer-keys *ARGS: ready
    @{{python}} -m minimodel.cli answer-keys {{ARGS}}

# a real UI check in JupyterLab + headless Chromium (needs Debian's chromium and pip's playwright); drill.ipynb for the drill
[no-exit-message]
ui-check NOTEBOOK="b02_no_mask.ipynb": ready
    @{{python}} tools/jupyterlab_ui_check.py {{NOTEBOOK}}

# (needs pip install -c constraints.txt -e ".[classroom]" and npm's configurable-http-proxy)
# a class on a real JupyterHub (loopback, 3 users): each runs a break notebook, then all are graded
[no-exit-message]
classroom-check: ready
    @{{python}} tools/classroom_check.py
