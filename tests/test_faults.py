"""Saving never loses anything: a run killed mid-save, a full disk, no permission, a second run.

The officer's example: the month's results are being saved into FeeDesk.xlsm when the
power goes, the disk fills up, the folder turns out to be read-only, or a colleague starts the
same job on the same file. Afterwards the workbook opens, its tables are either last
month's or this month's (never half of each), the backup is still a workbook, and the next
run works.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time
import traceback

import pandas as pd
import pytest
import python_calamine

if os.name != "posix":
    pytest.skip("kills, forks and file-size limits are POSIX", allow_module_level=True)
import resource

from feedesk import problems, sample
from macros import cli, runner
from tests.conftest import SETTINGS, small_desk
from workbook import build, filehost, layout, package

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = "FeeDesk.xlsm"
BACKUP = "FeeDesk.bak.xlsm"
LOCK = f".~feedesk-{BOOK}.lock"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
KILLS = 30
FINDINGS = 5000  # the month's validation findings the killed runs are saving


def digest(path) -> str:
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def leftovers(folder) -> list[str]:
    """Files in the workbook's folder other than the workbook and its backup."""
    return sorted(set(os.listdir(folder)) - {BOOK, BACKUP})


def temp_files(folder) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def audit_rows(path) -> pd.DataFrame:
    with filehost.FileBook(str(path), writable=False) as book:
        return book.read("Audit")


def billed_total(path) -> int:
    with filehost.FileBook(str(path), writable=False) as book:
        return int(book.read("Bills")["Amount"].sum())


def calamine_rows(path, table: str) -> int:
    """Rows of the table's sheet as python-calamine sees them (header included)."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return len(workbook.get_sheet_by_name(layout.table(table).sheet_name("zh")).to_python())
    finally:
        workbook.close()


def python(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, **kwargs)


def feedesk(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """The `feedesk` command, in its own process."""
    return subprocess.run([sys.executable, "-m", "macros.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, **kwargs)


def wait_for(child: subprocess.Popen, word: str) -> str:
    for line in child.stdout:
        if line.startswith(word):
            return line
    raise AssertionError(f"the child ended before saying {word!r} (exit {child.wait()})")


# --- a month's results, saved by a process we can kill --------------------------------------

@functools.cache
def month_results() -> tuple[pd.DataFrame, pd.DataFrame]:
    """5,000 findings with long explanations and one Audit row: the same frames every time."""
    pick = random.Random(8)
    phrases = ["客户", "本月用量", "读数", "低于上月", "请核对", "抄表员", "现场复核", "水费", "物业费", "滞纳金",
               "东区", "西区", "南区", "账单金额", "与重算结果", "相差", "请联系", "收费组", "更正后", "重新运行"]
    found = [problems.Problem("抄表用量", 2 + row, "本次读数", "reading_back",
                              "".join(pick.choice(phrases) for _ in range(120)) + f"（第 {row + 2} 行）",
                              problems.ERROR, str(row)) for row in range(FINDINGS)]
    audit = runner.audit_frame("validate", "0" * 12, "problems", {"rows": FINDINGS}, FINDINGS, 1.5)
    audit["Time"] = pd.Timestamp("2026-04-10 18:30:00")
    audit["User"] = "林晓雯"
    return runner.problems_frame(found), audit


# --- runs in processes of their own, started by a helper that has everything loaded ----------

def serve() -> None:
    """A helper process: for each line on stdin ("TASK ARG ..."), fork a process that does
    the task and say "ended EXIT" when it is gone (EXIT is -9 for a SIGKILL). Forking from
    a process that has already imported everything makes a run start in milliseconds."""
    month_results()  # made once, before the forks
    print("ready", flush=True)
    for line in sys.stdin:
        task, *args = line.split("\t")
        pid = os.fork()
        if pid == 0:
            try:
                TASKS[task](*(arg.strip() for arg in args))
            except BaseException:  # whatever it was, say so and end the fork (never return into the loop)
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(f"ended {os.waitstatus_to_exitcode(status)}", flush=True)


class Runs:
    """The parent's end of `serve`: one run at a time, killed only before `serve` has reaped it
    (so the process id is still that run's)."""

    def __init__(self):
        self.server = python("-c", "from tests.test_faults import serve; serve()")
        wait_for(self.server, "ready")
        self.running, self.pid = False, None

    def start(self, task: str, *args) -> None:
        if self.running:  # a failed test left its run behind
            self.finish()
        self.server.stdin.write("\t".join((task, *map(str, args))) + "\n")
        self.server.stdin.flush()
        self.running, self.pid = True, None

    def said(self, word: str) -> str:
        """The run's next line starting with `word` ("saving PID", "holding PID" also give its id)."""
        for line in self.server.stdout:
            if line.startswith(("saving ", "holding ")):
                self.pid = int(line.split()[1])
            if line.startswith(word):
                if word == "ended":
                    self.running = False
                return line
            if line.startswith("ended"):
                self.running = False
                raise AssertionError(f"the run {line.strip()} before saying {word!r}")
        raise AssertionError(f"the helper process is gone (exit {self.server.wait()})")

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def ended(self) -> int:
        return int(self.said("ended").split()[1])

    def finish(self) -> None:
        if self.pid is not None:
            self.kill()
        for line in self.server.stdout:
            if line.startswith(("saving ", "holding ")):
                os.kill(int(line.split()[1]), signal.SIGKILL)
            if line.startswith("ended"):
                break
        self.running = False

    def close(self) -> None:
        if self.running:
            self.finish()
        self.server.stdin.close()
        self.server.wait(timeout=60)


@pytest.fixture(scope="module")
def runs():
    helper = Runs()
    yield helper
    helper.close()


def save_month_results(path: str) -> None:
    """Save the month's results into the workbook, saying "saving PID" when the save starts."""
    found, audit = month_results()
    real_save = package.save_atomically

    def announced(*args, **kwargs):
        print(f"saving {os.getpid()}", flush=True)
        started = time.perf_counter()
        real_save(*args, **kwargs)
        print(f"saved {time.perf_counter() - started:.4f}", flush=True)

    package.save_atomically = announced
    with filehost.FileBook(path) as book:
        book.write("Problems", found)
        book.append("Audit", audit)
        book.commit()
    print("closed", flush=True)
    time.sleep(120)  # until killed: the parent never kills a process id that another program has taken


@pytest.fixture(scope="module")
def desk_template(tmp_path_factory) -> str:
    return build.build(str(tmp_path_factory.mktemp("desk") / BOOK), "zh", small_desk(), SETTINGS)


@pytest.fixture
def desk_book(desk_template, tmp_path) -> pathlib.Path:
    """conftest's small desk, copied from one workbook built for this module (a build takes a second)."""
    return pathlib.Path(shutil.copy2(desk_template, tmp_path / BOOK))


@pytest.fixture
def month_book(tmp_path) -> pathlib.Path:
    """300 customers over three months: a workbook the jobs have not written to yet."""
    data = sample.make(customers=300, months=3)
    return pathlib.Path(build.build(str(tmp_path / BOOK), "zh", data.tables, data.settings))


def test_a_save_killed_at_random_moments_leaves_the_old_or_the_new_workbook(month_book, runs):
    folder = month_book.parent
    old = month_book.read_bytes()
    old_digest, old_audit, billed = digest(month_book), len(audit_rows(month_book)), billed_total(month_book)
    assert calamine_rows(month_book, "Audit") == old_audit + 1  # with its header

    # Two uninterrupted saves: the new version is the same file both times; how long saving takes.
    durations, versions = [], set()
    for _ in range(2):
        runs.start("save", month_book)
        durations.append(float(runs.said("saved").split()[1]))
        runs.said("closed")
        runs.kill()
        assert runs.ended() == -signal.SIGKILL
        versions.add(digest(month_book))
        month_book.write_bytes(old)
    assert len(versions) == 1
    new_digest = versions.pop()
    save = max(durations)
    assert min(durations) > 0.1, f"a save of {min(durations):.3f} s leaves no room to kill it halfway"

    seed = random.randrange(1 << 30)
    pick = random.Random(seed)
    # Over the save and beyond it (a machine shared with other work saves slower some moments than
    # others): one kill in each thirtieth of that span, at a random moment in it.
    delays = [(k + pick.random()) / KILLS * save * 1.25 for k in range(KILLS)]
    outcomes: dict[str, int] = {}
    half_written = 0
    for delay in delays:
        if digest(month_book) != old_digest:
            month_book.write_bytes(old)  # every kill interrupts the same save of last month's file
        runs.start("save", month_book)
        runs.said("saving")
        time.sleep(delay)
        runs.kill()
        assert runs.ended() == -signal.SIGKILL

        where = f"kill {delay:.3f} s into a {save:.3f} s save (seed {seed})"
        now = digest(month_book)
        assert now in (old_digest, new_digest), f"neither the old nor the new workbook after a {where}"
        outcome = "old" if now == old_digest else "new"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        half_written += bool(temp_files(folder))
        # The officer opens the workbook: both readers see either last month's tables or this month's.
        runs_logged = old_audit if outcome == "old" else old_audit + 1
        assert calamine_rows(month_book, "Audit") == runs_logged + 1, where
        with filehost.FileBook(str(month_book)) as book:  # a new run takes the lock: the dead run let go
            assert len(book.read("Audit")) == runs_logged, where
            assert len(book.read("Problems")) == (0 if outcome == "old" else FINDINGS), where
        if os.path.exists(folder / BACKUP):
            assert digest(folder / BACKUP) == old_digest, f"the backup is not last month's workbook after a {where}"
        unexpected = [name for name in leftovers(folder) if name != LOCK and not name.endswith(".tmp")]
        assert not unexpected, where

    assert outcomes.get("old") and half_written, f"no kill landed inside the save: {outcomes}"
    # The officer's next run works, keeps the month's figures and clears what the killed runs left,
    # but not the file of a save still under way in a process that runs.
    under_way = f".~{BOOK}.{runs.server.pid}.tmp"
    (folder / under_way).write_bytes(b"PK")
    assert cli.main(["run", "validate", str(month_book)]) == cli.EXIT_OK
    assert billed_total(month_book) == billed
    assert audit_rows(month_book)["Job"].iloc[-1] == "validate"
    assert leftovers(folder) == [under_way]


# --- a kill at each step of the save --------------------------------------------------------

def killed_at(step: str, path: str) -> None:
    """Run validate on the workbook and die (SIGKILL) at `step` of the save."""
    path = os.path.realpath(path)

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "writing":
        real_write, written = package._write_raw, []

        def write_some(out, info, data):
            if len(written) == 3:
                die()
            written.append(info.filename)
            real_write(out, info, data)

        package._write_raw = write_some
    elif step == "written":
        os.fsync = die  # the new file is complete but not yet forced to the disk
    elif step == "backup":
        def copy_half(source, target, **_kwargs):
            with open(source, "rb") as original, open(target, "wb") as copy:
                copy.write(original.read(os.path.getsize(source) // 2))
                copy.flush()
            die()

        shutil.copy2 = copy_half
    elif step == "rename":
        real_replace = os.replace

        def replace(source, target):
            if os.path.realpath(target) == path:
                die()
            real_replace(source, target)

        os.replace = replace
    elif step == "renamed":
        package._sync_folder = die
    elif step == "unlock":
        filehost._release_lock = die
    runner.run_file("validate", path)
    raise SystemExit("the save never reached the step")


STEPS = {  # step -> (the workbook afterwards, the backup afterwards)
    "writing": ("old", "untouched"),
    "written": ("old", "untouched"),
    "backup": ("old", "untouched"),
    "rename": ("old", "old"),
    "renamed": ("new", "old"),
    "unlock": ("new", "old"),
}


@pytest.mark.parametrize("step", STEPS)
def test_a_save_killed_at_each_step_loses_nothing(desk_book, step, runs):
    folder = desk_book.parent
    assert runner.run_file("validate", str(desk_book)).status == "ok"  # last month's run made a backup
    old_digest, older_digest = digest(desk_book), digest(folder / BACKUP)
    old_audit = len(audit_rows(desk_book))

    runs.start("kill-at", step, desk_book)
    assert runs.ended() == -signal.SIGKILL

    workbook, backup = STEPS[step]
    assert (digest(desk_book) == old_digest) == (workbook == "old")
    audit = audit_rows(desk_book)
    assert len(audit) == (old_audit if workbook == "old" else old_audit + 1)
    assert calamine_rows(desk_book, "Audit") == len(audit) + 1
    assert digest(folder / BACKUP) == (older_digest if backup == "untouched" else old_digest)
    assert len(audit_rows(folder / BACKUP)) in (old_audit - 1, old_audit)  # the backup is a workbook
    # The next run is not refused, works, and leaves only the workbook and its backup.
    assert runner.run_file("validate", str(desk_book)).status == "ok"
    assert len(audit_rows(desk_book)) == len(audit) + 1
    assert leftovers(folder) == []


# --- a second run, Excel, LibreOffice -------------------------------------------------------

def hold(path: str) -> None:
    """A run that has opened the workbook and is busy with it."""
    with filehost.FileBook(path):
        print(f"holding {os.getpid()}", flush=True)
        time.sleep(120)


def test_a_second_run_is_refused_while_the_first_holds_the_workbook(desk_book, runs):
    before = digest(desk_book)
    runs.start("hold", desk_book)
    runs.said("holding")
    second = feedesk("run", "validate", str(desk_book))
    assert second.returncode == 2
    assert BOOK in second.stdout and "另一个作业" in second.stdout and "等作业结束" in second.stdout
    assert digest(desk_book) == before
    runs.kill()  # the first run dies without letting go of the file
    assert runs.ended() == -signal.SIGKILL
    assert cli.main(["run", "validate", str(desk_book)]) == cli.EXIT_OK
    assert leftovers(desk_book.parent) == []


@pytest.mark.parametrize("owner", ["~${name}", ".~lock.{name}#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_refused(desk_book, owner, capsys):
    (desk_book.parent / owner.format(name=BOOK)).write_text("林晓雯")
    before = digest(desk_book)
    assert cli.main(["run", "validate", str(desk_book)]) == cli.EXIT_FAILED
    shown = capsys.readouterr().out
    assert BOOK in shown and owner.format(name=BOOK) in shown and "请关闭" in shown
    assert digest(desk_book) == before


def test_a_lock_file_left_by_a_colleagues_killed_run_does_not_block(desk_book, monkeypatch):
    lock = desk_book.parent / LOCK
    lock.write_text("")
    os.chmod(lock, 0o444)  # a colleague's file: we may not write to it
    if AS_ROOT:  # chmod does not stop root: refuse the write as the OS would
        real_open = open

        def no_write(file, mode="r", *args, **kwargs):
            if os.path.basename(str(file)) == LOCK and mode != "r":
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(filehost, "open", no_write, raising=False)
    assert runner.run_file("validate", str(desk_book)).status == "ok"


# --- a full disk, no permission -------------------------------------------------------------

def bad_month_desk() -> dict[str, pd.DataFrame]:
    """The small desk plus 400 readings for a customer nobody has heard of: 400 findings."""
    desk = small_desk()
    strays = pd.DataFrame({
        "CustomerID": [f"C9{n:05d}" for n in range(400)], "Period": "2026-03", "FeeItem": "water",
        "TariffCode": "W-RES", "PrevReading": 10.0, "CurrReading": 20.0, "Quantity": 10.0})
    desk["Usage"] = pd.concat([desk["Usage"], strays], ignore_index=True)
    return desk


def test_a_full_disk_is_reported_and_the_workbook_and_backup_are_unchanged(tmp_path):
    book = pathlib.Path(build.build(str(tmp_path / BOOK), "zh", bad_month_desk(), SETTINGS))
    build.build(str(tmp_path / BACKUP), "zh", small_desk(), SETTINGS)  # last month's backup
    before, backup_before = digest(book), digest(tmp_path / BACKUP)
    limit = os.path.getsize(book) + 4096  # room for a copy of the workbook, not for a bigger one

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    run = feedesk("run", "validate", str(book), preexec_fn=small_disk)
    assert run.returncode == 2, run.stdout + run.stderr
    assert BOOK in run.stdout and "磁盘空间不足" in run.stdout and "原文件未被改动" in run.stdout
    assert digest(book) == before and digest(tmp_path / BACKUP) == backup_before
    assert leftovers(tmp_path) == []
    # With room on the disk the same run saves its 400 findings.
    assert cli.main(["run", "validate", str(book)]) == cli.EXIT_PROBLEMS
    with filehost.FileBook(str(book), writable=False) as saved:
        assert len(saved.read("Problems")) >= 400


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_after_two(real):
    calls = []

    def write(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            _enospc()
        return real(*args, **kwargs)

    return write


def _half_copy_then_full(source, target, **_kwargs):
    with open(source, "rb") as original, open(target, "wb") as copy:
        copy.write(original.read(os.path.getsize(source) // 2))
    _enospc()


def _denied(path):
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


def _held_at_rename(real):
    def replace(source, target):
        if os.path.basename(str(target)) == BOOK:
            _denied(target)
        return real(source, target)

    return replace


FAULTS = {  # what goes wrong -> (where to break in, what the message says, the backup afterwards)
    "the disk fills up while the new workbook is written":
        (lambda m: m.setattr(package, "_write_raw", _fail_after_two(package._write_raw)), "磁盘空间不足", "untouched"),
    "the disk fills up when the new workbook is forced to disk":
        (lambda m: m.setattr(os, "fsync", _enospc), "磁盘空间不足", "untouched"),
    "the disk fills up while the backup is copied":
        (lambda m: m.setattr(shutil, "copy2", _half_copy_then_full), "磁盘空间不足", "untouched"),
    "the folder refuses the new file":
        (lambda m: m.setattr(package, "write_package", lambda source, target, *_: _denied(target)), "没有写入",
         "untouched"),
    "another program holds the workbook at the rename":
        (lambda m: m.setattr(os, "replace", _held_at_rename(os.replace)), "没有写入", "copy"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_save_is_reported_and_loses_nothing(desk_book, fault, monkeypatch, capsys):
    folder = desk_book.parent
    assert runner.run_file("validate", str(desk_book)).status == "ok"  # last month's run made a backup
    before, backup_before = digest(desk_book), digest(folder / BACKUP)
    capsys.readouterr()
    break_in, says, backup = FAULTS[fault]
    with monkeypatch.context() as patch:
        break_in(patch)
        assert cli.main(["run", "validate", str(desk_book)]) == cli.EXIT_FAILED
    shown = capsys.readouterr().out
    assert f"保存“{BOOK}”失败" in shown and says in shown and "原文件未被改动" in shown, shown
    assert digest(desk_book) == before
    assert digest(folder / BACKUP) == (backup_before if backup == "untouched" else before)
    with filehost.FileBook(str(folder / BACKUP), writable=False) as kept:  # the backup is a workbook
        assert len(kept.read("Customers")) == 5
    assert leftovers(folder) == []
    assert runner.run_file("validate", str(desk_book)).status == "ok"


def test_a_read_only_folder_is_refused_before_the_job_runs(desk_book, monkeypatch, capsys):
    folder = desk_book.parent
    before = digest(desk_book)
    os.chmod(folder, 0o555)
    if AS_ROOT:  # chmod does not stop root: answer as the OS would for anyone else
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if os.path.samefile(path, folder) and
                            mode & os.W_OK else real_access(path, mode, **kw))
    try:
        assert cli.main(["run", "validate", str(desk_book)]) == cli.EXIT_FAILED
    finally:
        os.chmod(folder, 0o755)
    shown = capsys.readouterr().out
    assert BOOK in shown and str(folder) in shown and "可写的文件夹" in shown
    assert digest(desk_book) == before
    assert leftovers(folder) == []


TASKS = {"save": save_month_results, "kill-at": killed_at, "hold": hold}  # what `serve` runs
