"""Readable renderings of a validation report: plain text for a terminal, one HTML page for people.

The JSON report (``Report.to_dict``) is the contract programs rely on; these renderings lay the
same report out for reading and add nothing to it.
"""

from gateway.reports.html import render_html
from gateway.reports.text import render_text

__all__ = ["render_html", "render_text"]
