"""Run Locust with the locked urllib3 1.26 (``python -m bench.locust_main <locust args>``).

Locust 2.47 imports ``urllib3.util.create_urllib3_context``, which urllib3 2
exports and the locked urllib3 1.26 (pinned for selenium 4.2, used by
dash[testing]) keeps in ``urllib3.util.ssl_``. This shim re-exports it and then
runs Locust's own ``main``. Gevent patches the standard library first, as Locust does.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import urllib3.util  # noqa: E402
from urllib3.util import ssl_  # noqa: E402

if not hasattr(urllib3.util, "create_urllib3_context"):
    urllib3.util.create_urllib3_context = ssl_.create_urllib3_context  # type: ignore[attr-defined]

from locust.main import main  # noqa: E402

if __name__ == "__main__":
    main()
