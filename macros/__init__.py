"""The jobs behind the buttons: read tables -> core -> write tables, one module per job.

`macros.runner` runs a job on any Book host; `macros.cli` is the `feedesk` command.
"""
