"""vigil.server.reports: the monthly proactive inspection report, and the quarterly and annual
service summaries.

- ``period``: a month, quarter or year in the customer's time zone, as UTC bounds;
- ``gather``: the month's figures per customer, read as aggregates from the metric store and
  from the relational tables (tickets, SLA clocks, windows, surveys, inspections);
- ``health``: the health score and how it is derived;
- ``sections/<name>.py``: one report section each (``build(context)`` and ``<name>.html``),
  found by module name; ``render``: HTML and CSS to PDF with WeasyPrint, charts as SVG;
- ``service``: drafts, edits, approval (the PDF e-mailed through the outbox), the archive;
- ``checklists``: on-site inspection checklists; ``summaries``: quarters and years;
- ``schedule``: the worker that makes the drafts after each month; ``cli``: ``vigil report``.
"""
