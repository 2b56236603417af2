"""Training jobs side by side (`core.training.side_by_side`): every job runs, and a failure is not lost."""

from core.training.side_by_side import run_side_by_side

#: A job: sleep argv[3] seconds, leave a mark at argv[1], exit with status argv[2].
JOB = """import pathlib, sys, time
time.sleep(float(sys.argv[3]))
pathlib.Path(sys.argv[1]).touch()
sys.exit(int(sys.argv[2]))
"""


def test_every_job_runs_and_a_failure_is_the_exit_status(tmp_path, monkeypatch):
    (tmp_path / "mark_job.py").write_text(JOB)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    marks = [tmp_path / f"ran{i}" for i in range(4)]
    # a slow first job and quick ones after it, more than there are cores: every one runs
    jobs = [["mark_job", str(marks[0]), "0", "1.0"]] + [["mark_job", str(m), "0", "0"] for m in marks[1:]]
    assert run_side_by_side(jobs) == 0
    assert all(m.exists() for m in marks)
    failing = [["mark_job", str(tmp_path / "a"), "0", "0"], ["mark_job", str(tmp_path / "b"), "3", "0"]]
    assert run_side_by_side(failing) == 3
    assert (tmp_path / "a").exists() and (tmp_path / "b").exists()
