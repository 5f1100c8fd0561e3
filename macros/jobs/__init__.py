"""One module per job: `run(book) -> macros.runner.Report`. Listed in workbook/registry.py."""
