"""Locust users for `make loadtest`: clinicians changing filters on the Survival and Cox pages.

Each user opens a page like a browser (the page, ``/_dash-layout``,
``/_dash-dependencies``), then every 1-3 s picks other filters and sends the
requests the Dash renderer sends for that change (see ``bench/dash_payloads.py``).
A response that is not 200, or lacks what the callback should return, is a failure.

Run through ``python -m bench.loadtest`` (it starts gunicorn on loopback and bounds the time).
"""

from __future__ import annotations

import random
from typing import Any

from locust import HttpUser, between, task

from analysis.filters import FilterSpec
from bench.dash_payloads import CALLBACK_PATH, FILTER_CHOICES, Dependencies, Step, filter_change

PAGES = ("/survival", "/cox")


class Clinician(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.page = random.choice(PAGES)
        self.filters = FilterSpec()
        self.client.get(self.page, name="page: index")
        self.client.get("/_dash-layout", name="page: _dash-layout")
        response = self.client.get("/_dash-dependencies", name="page: _dash-dependencies")
        self.deps = Dependencies(response.json())

    def _send(self, step: Step) -> None:
        with self.client.post(
            CALLBACK_PATH, json=step.body, name=f"{self.page} {step.name}", catch_response=True
        ) as response:
            response_any: Any = response
            if response.status_code != 200:
                response_any.failure(f"HTTP {response.status_code}")
            elif step.expect not in response.text:
                response_any.failure(f"response lacks {step.expect!r}")
            else:
                response_any.success()

    @task
    def change_filters(self) -> None:
        new = random.choice([spec for spec in FILTER_CHOICES if spec != self.filters])
        for step in filter_change(self.deps, self.page, self.filters, new):
            self._send(step)
        self.filters = new
