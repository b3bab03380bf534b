"""`/` opens the Survival page (same layout, kept out of the navbar)."""

import dash

from app.i18n import N_
from app.pages import survival

dash.register_page(__name__, path="/", name=N_("Home"), title="Post-Progression Explorer", nav=False, order=0)

layout = survival.layout
