"""Where tests write screenshots: ``build/screenshots/`` (git-ignored), so a test run leaves the tree clean.

``make screenshots`` sets ``PPX_REFRESH_DOCS=1`` and re-runs the tests that take the README's pictures; they then
write the committed copies in ``docs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def screenshot_path(name: str) -> Path:
    """The file a test saves the screenshot ``name`` to (its directory exists, also for a name with a folder such as
    ``gallery/x.png``: Selenium's save_screenshot only returns False when it does not)."""
    folder = ROOT / "docs" if os.environ.get("PPX_REFRESH_DOCS") == "1" else ROOT / "build" / "screenshots"
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
