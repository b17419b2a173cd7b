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

# every break: metadata complete, symptom fires under the break, quiet with the fix
[no-exit-message]
check *ARGS:
    @{{bin}}/minimodel check {{ARGS}}

# unit tests, the break contract on 3 seeds (the checker), CLI error paths
test *ARGS:
    @MINIMODEL_THREADS=${MINIMODEL_THREADS:-2} {{bin}}/python -m pytest {{ARGS}}

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
    @MINIMODEL_THREADS=${MINIMODEL_THREADS:-2} {{bin}}/minimodel answer-keys {{ARGS}}
