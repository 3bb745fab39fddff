"""Rendering the period reports (flows/period_report.py): Vietnamese labels and sentences
from the knowledge folder's templates (`templates/report/`), SVG charts (pygal), the CSV
export and the self-contained HTML report. `hotline report` and the web console use it."""
