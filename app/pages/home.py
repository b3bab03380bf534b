"""Placeholder home page (replaced by the Survival page)."""

import dash
from dash import html

dash.register_page(__name__, path="/", name="Home")

layout = html.Div([html.Div("SYNTHETIC DATA", className="alert alert-warning")])
