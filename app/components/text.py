"""User text shown as text: the one helper for labels that come from an uploaded file.

Plotly draws trace names, legend entries, annotations, axis and tick labels,
hover text and Sankey labels through its own pseudo-HTML (``<a href>`` becomes
a live link, ``<b>``, ``<br>``, ``<span style>`` take effect), in the page and in
every SVG/PNG/PDF export and slide image. :func:`plain` makes such text inert:
``&``, ``<`` and ``>`` become the entities Plotly turns back into the same
characters, and ``%`` becomes ``&#37;`` so a label cannot reach into a
``hovertemplate`` (``%{x}``). Apply it where a label from user data enters a
figure, and only there: Dash's HTML components, tables, the XLSX/CSV exports
and python-pptx text already show text as text (escaping them again would show
the entities).
"""

from __future__ import annotations


def plain(label: object) -> str:
    """``label`` as Plotly shows it literally (no tags, links, styles or template fields take effect)."""
    return str(label).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("%", "&#37;")
