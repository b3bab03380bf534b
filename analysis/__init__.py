"""Post-Progression Explorer analysis layer.

Pure, typed and framework-free: nothing here imports Dash or Flask.
Every number the dashboard and the ``ppx`` CLI show comes from this package.
"""

__version__ = "0.1.0"
