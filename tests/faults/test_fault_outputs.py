"""Output paths that are not babelforge's to write: refused with one line, every user file kept."""

import pytest
from kit.faults import REFUSED_OUTPUTS, Project, refused_output


@pytest.mark.parametrize(("name", "args"), REFUSED_OUTPUTS, ids=[name for name, _ in REFUSED_OUTPUTS])
def test_refused_output_paths(tmp_path, name, args):
    outcome = refused_output(tmp_path, name, args, files=1, lines=20)
    assert outcome.ok, outcome
    assert "exit 2, one line: True" in outcome.outcome


def test_a_run_replaces_its_own_earlier_output_and_an_empty_folder(tmp_path):
    project = Project(tmp_path, files=1, lines=20, tasks=1)
    (project.root / "out" / "ds").mkdir(parents=True)
    assert project.run("run", "m.yaml").code == 0
    project.write_input("a.jsonl", 30, tag="-again")
    second = project.run("run", "m.yaml")
    assert second.code == 0, second.err
    assert project.published() == project.expected()


def test_overwrite_replaces_a_foreign_folder_when_asked(tmp_path):
    project = Project(tmp_path, files=1, lines=20, tasks=1)
    (project.root / "old").mkdir()
    (project.root / "old" / "x.txt").write_text("mine")
    assert project.run("run", "m.yaml", "--output", "old").code == 2
    assert (project.root / "old" / "x.txt").exists()
    result = project.run("run", "m.yaml", "--output", "old", "--overwrite")
    assert result.code == 0, result.err
    assert project.published(project.root / "old") == project.expected()


def test_a_symlinked_output_is_refused_even_with_overwrite(tmp_path):
    project = Project(tmp_path, files=1, lines=20, tasks=1)
    (project.root / "elsewhere").mkdir()
    (project.root / "elsewhere" / "x.txt").write_text("mine")
    (project.root / "link").symlink_to(project.root / "elsewhere")
    result = project.run("run", "m.yaml", "--output", "link", "--overwrite")
    assert result.code == 2
    assert "symbolic link" in result.err
    assert (project.root / "elsewhere" / "x.txt").read_text() == "mine"


def test_a_foreign_work_folder_is_refused(tmp_path):
    project = Project(tmp_path, files=1, lines=20, tasks=1)
    (project.root / "out" / "ds.work").mkdir(parents=True)
    (project.root / "out" / "ds.work" / "mine.txt").write_text("x")
    result = project.run("run", "m.yaml")
    assert result.code == 2
    assert "its work folder" in result.err
    assert len(result.error_lines) == 1
    assert (project.root / "out" / "ds.work" / "mine.txt").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--output", "data/out"], "which the run reads"),
        (["--output", "notes.txt/ds"], "is a file, not a folder"),
        (["--output", "out/ds/inner"], "a babelforge output folder"),
    ],
    ids=["inside a source folder", "under a file", "inside another output"],
)
def test_outputs_inside_what_the_run_reads_or_owns_are_refused(tmp_path, args, said):
    project = Project(tmp_path, files=1, lines=20, tasks=1)
    assert project.run("run", "m.yaml").code == 0  # out/ds: a babelforge output
    before = project.user_files()
    result = project.run("run", "m.yaml", *args, "--overwrite")
    assert result.code == 2, result.err
    assert said in result.err
    assert len(result.error_lines) == 1
    assert project.user_files() == before


def test_a_home_relative_output_path_is_expanded(tmp_path):
    project = Project(tmp_path, files=1, lines=20, tasks=1)
    result = project.run("run", "m.yaml", "--output", "~/elsewhere/ds", env={"HOME": str(tmp_path / "home")})
    assert result.code == 0, result.err
    assert project.published(tmp_path / "home" / "elsewhere" / "ds") == project.expected()
    assert not (project.root / "~").exists()


def test_a_finished_publish_is_not_undone_when_the_user_deletes_the_output(tmp_path):
    """A run killed after it put its output in place, before it removed the one it replaced: the old
    output must not come back later (it was replaced on purpose)."""
    import shutil

    project = Project(tmp_path, files=1, lines=20, tasks=1)
    assert project.run("run", "m.yaml").code == 0
    project.write_input("a.jsonl", 30, tag="-v2")
    project.run("run", "m.yaml", point="after-publish")  # killed: work folder and `replaced` left behind
    shutil.rmtree(project.output)  # the user removes the output
    project.write_input("a.jsonl", 40, tag="-v3")
    result = project.run("run", "m.yaml")
    assert result.code == 0, result.err
    assert "restored" not in result.out
    assert project.published() == project.expected()
