"""Data lineage on both back ends: pandas readers/writers, in-memory data shared between cells,
``mj.lineage`` graphs up and down, ``%lineage``, the ``lineage`` CLI verb and model versions."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import xxhash
from click.testing import CliRunner
from shell_support import cell_runs, run, tracked_shell

import mlops_jupyter as mj
from mlops_jupyter.cli import cli
from mlops_jupyter.tracking.lineage import LineageTargetError

SETUP = "import pandas as pd\nfrom sklearn.datasets import load_wine\nwine = load_wine(as_frame=True).frame"


@pytest.fixture
def shell(mj_store):  # type: ignore[no-untyped-def]
    with tracked_shell() as shell:
        assert run(shell, SETUP).success
        yield shell


def runs_by_name() -> dict[str, mj.RunView]:
    return {row.name: mj.get_run(row.run_id) for row in cell_runs().itertuples()}


FORMATS = {
    "csv": ("to_csv", "read_csv", "index=False"),
    "parquet": ("to_parquet", "read_parquet", ""),
    "json": ("to_json", "read_json", ""),
    "xlsx": ("to_excel", "read_excel", "index=False"),
    "feather": ("to_feather", "read_feather", ""),
}


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_writers_and_readers_become_dataset_versions(shell, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    writer, reader, extra = FORMATS[suffix]
    path = tmp_path / f"wine.{suffix}"
    assert run(
        shell, f"%%track -n write\nwine.{writer}({str(path)!r}{', ' + extra if extra else ''})\n"
    ).success
    assert run(shell, f"%%track -n read\nback = pd.{reader}({str(path)!r})\n").success
    runs = runs_by_name()
    written = [
        o
        for o in runs["write"].outputs
        if o["node_type"] == "dataset" and o["uri"].startswith("file:")
    ]
    read = [i for i in runs["read"].inputs if i["uri"].startswith("file:")]
    assert len(written) == 1 and len(read) == 1
    assert written[0]["node_id"] == read[0]["node_id"]  # the same version: the file did not change
    assert written[0]["uri"] == path.resolve().as_uri()
    assert written[0]["fingerprint"] == xxhash.xxh3_128_hexdigest(path.read_bytes())
    assert (written[0]["rows"], written[0]["columns"]) == shell.user_ns["wine"].shape
    assert written[0]["schema"]["alcohol"] == "float64"
    assert written[0]["name"] == path.name
    graph = mj.lineage(runs["read"].run_id)
    assert {node.label for node in graph.nodes} >= {"read", path.name, "write", "wine"}


def test_read_table_and_a_rewritten_file_is_a_new_version(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "data.tsv"
    path.write_text("a\tb\n1\t2\n")
    run(shell, f"%%track -n first\nt1 = pd.read_table({str(path)!r})\n")
    path.write_text("a\tb\n1\t3\n")
    run(shell, f"%%track -n second\nt2 = pd.read_table({str(path)!r})\n")
    runs = runs_by_name()
    first = next(i for i in runs["first"].inputs if i["uri"].startswith("file:"))
    second = next(i for i in runs["second"].inputs if i["uri"].startswith("file:"))
    assert first["uri"] == second["uri"] and first["fingerprint"] != second["fingerprint"]


def test_read_sql_records_a_hash_of_the_query(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as conn:
        conn.execute("create table sales (amount real)")
        conn.executemany("insert into sales values (?)", [(1.0,), (2.5,)])
    code = f"""\
        %%track -n query
        import sqlite3
        conn = sqlite3.connect({str(database)!r})
        sales = pd.read_sql("select amount from sales", conn)
        """
    assert run(shell, textwrap.dedent(code)).success
    (sql,) = [i for i in runs_by_name()["query"].inputs if i["uri"].startswith("sql:")]
    assert sql["fingerprint"] == xxhash.xxh3_128_hexdigest(b"select amount from sales")
    assert sql["format"] == "sql" and sql["rows"] == 2
    assert sql["name"] == "select amount from sales"


def test_cells_are_linked_through_the_dataframes_they_share(shell) -> None:  # type: ignore[no-untyped-def]
    run(
        shell,
        "%%track -n prepare\nfeatures = wine.drop(columns='target')\ntarget = wine['target']\n",
    )
    run(shell, "%%track -n summarize\nmeans = features.mean()\n")
    run(shell, "features['alcohol'] = 0.0  # an untracked change")
    run(shell, "%%track -n later\nlater_means = features.mean()\n")
    runs = runs_by_name()
    prepare, summarize, later = runs["prepare"], runs["summarize"], runs["later"]
    assert {o["name"] for o in prepare.outputs} == {"features", "target"}
    assert [i["name"] for i in prepare.inputs] == ["wine"]
    shared = {o["node_id"] for o in prepare.outputs} & {i["node_id"] for i in summarize.inputs}
    assert len(shared) == 1  # features@F links prepare -> summarize
    assert not {o["node_id"] for o in prepare.outputs} & {i["node_id"] for i in later.inputs}

    downstream = mj.lineage(prepare.run_id, "downstream")
    assert "summarize" in {n.label for n in downstream.runs} and "later" not in {
        n.label for n in downstream.runs
    }
    upstream = mj.lineage(summarize.run_id)
    assert {n.label for n in upstream.runs} == {"summarize", "prepare"}
    assert {n.label for n in upstream.datasets} == {"features", "wine"}
    frame = upstream.to_frame()
    assert list(frame.columns) == [
        "source",
        "source_type",
        "source_label",
        "target",
        "target_type",
        "target_label",
        "role",
        "name",
    ]
    assert ("features", "summarize", "input") in set(
        zip(frame.source_label, frame.target_label, frame.role, strict=True)
    )


def test_a_cell_that_builds_and_uses_data_has_no_self_loop(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track -n fit
        from sklearn.tree import DecisionTreeClassifier
        X = wine.drop(columns="target"); y = wine["target"]
        tree = DecisionTreeClassifier(random_state=0).fit(X, y)
        """
    assert run(shell, textwrap.dedent(code)).success
    view = runs_by_name()["fit"]
    assert [i["name"] for i in view.inputs] == ["wine"]
    assert {o["name"] for o in view.outputs} == {"X", "y"}
    x_version = next(o["node_id"] for o in view.outputs if o["name"] == "X")
    assert view.tags["mlops.model_input_dataset"] == x_version


def test_lineage_of_a_variable_a_dataframe_and_a_file(shell, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "wine.csv"
    run(shell, f"%%track -n export\nwine.to_csv({str(path)!r}, index=False)\n")
    run(shell, f"%%track -n load\nloaded = pd.read_csv({str(path)!r})\n")
    by_variable = mj.lineage("loaded")
    assert {n.label for n in by_variable.runs} == {"load", "export"}
    by_object = mj.lineage(shell.user_ns["loaded"])
    assert by_object.edges == by_variable.edges
    by_file = mj.lineage(str(path), "downstream")
    assert {n.label for n in by_file.runs} == {"load"}
    html = by_variable._repr_html_()
    assert html.count("<rect") == len(by_variable.nodes) and "export" in html
    shown = shell.run_line_magic("lineage", "loaded")
    assert shown.edges == by_variable.edges


def test_lineage_magic_defaults_to_the_last_tracked_cell(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%%track -n only\nsmall = wine.head()\n")
    graph = shell.run_line_magic("lineage", "--downstream")
    assert graph.direction == "downstream" and graph.node(graph.roots[0]).label == "only"


def test_lineage_of_unknown_things_is_a_clear_error(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "fresh = pd.DataFrame({'never': [1, 2]})\nnot_data = 5")
    with pytest.raises(LineageTargetError, match="never recorded"):
        mj.lineage("fresh")
    with pytest.raises(LineageTargetError, match="holds a int"):
        mj.lineage("not_data")
    with pytest.raises(LineageTargetError, match="no run, dataset, variable"):
        mj.lineage("zzzz-nothing")
    with pytest.raises(ValueError, match="direction"):
        mj.lineage("fresh", "sideways")


def test_lineage_cli_verb(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%%track -n prepare\nfeatures = wine.drop(columns='target')\n")
    prepare = runs_by_name()["prepare"]
    result = CliRunner().invoke(cli, ["lineage", prepare.run_id[:-4], "--format", "json"])
    assert result.exit_code == 0, result.output
    edges = json.loads(result.output)
    assert {(e["source_label"], e["target_label"], e["role"]) for e in edges} == {
        ("wine", "prepare", "input")
    }
    result = CliRunner().invoke(cli, ["lineage", prepare.run_id, "-d", "downstream"])
    assert result.exit_code == 0 and "features" in result.output
    result = CliRunner().invoke(cli, ["lineage", "no-such-thing"])
    assert result.exit_code == 2 and "no run, dataset, variable or model version" in result.output


def test_registered_model_versions_are_in_the_lineage(shell) -> None:  # type: ignore[no-untyped-def]
    code = """\
        %%track -n train --register wine-tree
        from sklearn.tree import DecisionTreeClassifier
        tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(wine.drop(columns="target"), wine["target"])
        """
    assert run(shell, textwrap.dedent(code)).success
    train = runs_by_name()["train"]
    graph = mj.lineage("models:/wine-tree/1")
    assert graph.node(graph.roots[0]).type == "model_version"
    assert {n.label for n in graph.runs} == {"train"}
    assert "wine" in {n.label for n in graph.datasets}
    downstream = mj.lineage(train.run_id, "downstream")
    assert [n.label for n in downstream.nodes if n.type == "model_version"] == [
        "models:/wine-tree/1"
    ]


def test_traverse_stops_at_max_depth(shell) -> None:  # type: ignore[no-untyped-def]
    run(shell, "%%track -n a\nstep1 = wine.head(100)\n")
    run(shell, "%%track -n b\nstep2 = step1.head(50)\n")
    run(shell, "%%track -n c\nstep3 = step2.head(10)\n")
    c = runs_by_name()["c"]
    assert {n.label for n in mj.lineage(c.run_id).runs} == {"a", "b", "c"}
    assert {n.label for n in mj.lineage(c.run_id, max_depth=2).runs} == {"b", "c"}
    assert isinstance(mj.lineage(c.run_id).to_frame(), pd.DataFrame)
