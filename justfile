# minimodel break lab: `just --list` shows every recipe.
set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
bin := venv + "/bin"

# create .venv and install the lab (torch held to the CPU wheel by constraints.txt)
setup:
    @test -x {{bin}}/python || python3.11 -m venv {{venv}}
    @{{bin}}/pip install -q -c constraints.txt -e ".[dev]"

# run an experiment: just exp 17-train-mini --tag broken-no-mask [--steps N] [--seed S]
[no-exit-message]
exp NAME *ARGS:
    @{{bin}}/minimodel exp {{NAME}} {{ARGS}}

# the catalogue: just breaks list | just breaks show broken-no-mask
[no-exit-message]
breaks *ARGS:
    @{{bin}}/minimodel breaks {{ARGS}}

# (--seeds 0-9 prints each detector's worst seed; MINIMODEL_THREADS=1 runs 2 seeds at a time)
# every break: metadata, notebooks current, symptom fires broken and is quiet fixed, with a margin
[no-exit-message]
check *ARGS:
    @{{bin}}/minimodel check {{ARGS}}

# per recipe: steps for the healthy control to learn its task, and its final exact match, over seeds 0-9
[no-exit-message]
calibrate *ARGS:
    @{{bin}}/minimodel calibrate {{ARGS}}

# (two pytest workers of one thread each; the healthy controls they train are cached for the notebooks)
# unit tests, the break contract on 3 seeds (the checker), CLI error paths; then nbval over every notebook
test *ARGS:
    @tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT && export MINIMODEL_CACHE="${MINIMODEL_CACHE:-$tmp/cache}" && \
        MINIMODEL_THREADS=1 MINIMODEL_JOBS=1 {{bin}}/python -m pytest -n ${TEST_WORKERS:-2} {{ARGS}} && \
        if [ -z "{{ARGS}}" ]; then {{just_executable()}} --justfile {{justfile()}} nbval; fi

# every learner and solution notebook executed headless (nbval, 2 kernels of 1 thread, runs in a temp folder)
nbval *ARGS:
    @tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT && \
        MINIMODEL_THREADS=1 MINIMODEL_JOBS=1 MINIMODEL_HEADLESS=1 MINIMODEL_RUNS="$tmp/runs" \
        MINIMODEL_LEARNERS="$tmp/learners" MINIMODEL_CACHE="${MINIMODEL_CACHE:-$tmp/cache}" \
        {{bin}}/python -m pytest --nbval-lax --nbval-current-env -n ${NBVAL_WORKERS:-2} --dist loadfile \
        -p no:cacheprovider notebooks solutions {{ARGS}}

# regenerate every learner and solution notebook from breaks/ and the one template
notebooks:
    @{{bin}}/python -m minimodel.notebooks && {{bin}}/python -m minimodel.checkup_notebook

# JupyterLab on notebooks/, loopback only, no browser (--allow-root when run as root)
lab:
    @root=""; if [ "$(id -u)" = 0 ]; then root="--allow-root"; fi; \
        {{bin}}/jupyter lab --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 --no-browser $root

# throughput and time-to-verdict table (figures, not a test)
[no-exit-message]
bench:
    @{{bin}}/python bench/bench.py

# seal a prediction before running a break: just predict broken-no-mask --learner ada [--answers FILE]
[no-exit-message]
predict BREAK *ARGS:
    @{{bin}}/minimodel predict {{BREAK}} {{ARGS}}

# grade every learner x break x question: just grade learners/ [--out DIR] [--breaks TAGS]
[no-exit-message]
grade DIR *ARGS:
    @{{bin}}/minimodel grade {{DIR}} {{ARGS}}

# answer keys for grading learners who have no run: solutions/<bNN_slug>/answer_key.json
[no-exit-message]
answer-keys *ARGS:
    @{{bin}}/minimodel answer-keys {{ARGS}}

# a real UI check in JupyterLab + headless Chromium (needs Debian's chromium and pip's playwright)
[no-exit-message]
ui-check NOTEBOOK="b02_no_mask.ipynb":
    @{{bin}}/python tools/jupyterlab_ui_check.py {{NOTEBOOK}}
