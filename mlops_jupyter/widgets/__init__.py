"""Views of runs for notebooks (ipywidgets, with static HTML wherever no widget frontend runs):
the live run view under a tracked cell (``run_view``), ``%runs`` (``runs_table``), ``%compare``
(``compare``), the lineage graph (``lineage_view``) and the SVG charts they share (``svg``).

Views read through the query API only; nothing here writes to the store.
"""
