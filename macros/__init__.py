"""The jobs behind the buttons: read tables -> core -> write tables, one module per job.

Each button's VBA Sub runs `RunPython "import macros; macros.<job>()"`: the entry points
below are made from the job registry, one per job, each running the job on the workbook
whose button was clicked (`xw.Book.caller()`). `macros.runner` runs a job on any Book host;
`macros.cli` is the `feedesk` command.
"""

from workbook import registry as _registry


def _entry_point(job: _registry.Job):
    def run() -> None:
        from macros import excelhost

        excelhost.run_caller(job.key)

    run.__name__ = run.__qualname__ = job.key
    run.__doc__ = f"{job.zh} / {job.en}: run from the workbook's button (RunPython)."
    return run


for _job in _registry.JOBS:
    globals()[_job.key] = _entry_point(_job)
del _job
