"""The capstone notebook: committed and current, byte-stable, and its three mistakes fire until the solution."""
import nbformat

from minimodel.notebooks import capstone as checkup_notebook, generate as notebooks


def test_committed_capstone_is_current_and_regenerates_byte_identical(tmp_path):
    assert not [p for p in notebooks.outdated() if "checkup.ipynb" in p], notebooks.OUTDATED
    notebooks.write_all(tmp_path, [], echo=lambda _: None)
    assert (tmp_path / checkup_notebook.PATH).read_bytes() == (notebooks.ROOT / checkup_notebook.PATH).read_bytes()
    assert notebooks.write_all(tmp_path, [], echo=lambda _: None) == 0
    nb = nbformat.read(tmp_path / checkup_notebook.PATH, as_version=4)
    assert [c.id for c in nb.cells] == [cell_id for cell_id, _, _ in checkup_notebook.CELLS]
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert notebooks.outdated(tmp_path, []) == []  # nothing belongs to no break


def test_the_three_mistakes_fire_and_the_solution_is_quiet():
    """Run the code cells in order (what nbval does in a kernel), stopping to read the audit before the fix."""
    ns: dict = {}
    for cell_id, kind, source in checkup_notebook.CELLS:
        if cell_id == "solution":
            fired = {part: {f.name for f in r.fired} for part, r in ns["audit"]().items()}
            assert fired == {"model": {"leak_test", "prefix_moves"}, "batch": {"eos_never_supervised"},
                             "generation": {"answers_over_budget", "pad_is_eos"}}
        if kind == "code":
            exec(compile(source, cell_id, "exec"), ns)
    assert all(not r.fired for r in ns["reports"].values())
