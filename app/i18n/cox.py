"""A Cox model's warnings, notes and refusals in the interface language.

:class:`analysis.cox.CoxResult` keeps its warnings in English (what ``ppx cox`` prints) and, beside them, as
:class:`analysis.messages.Message` templates (``wording``; :data:`analysis.cox_messages.COX_TEMPLATES`, marked
here in :data:`TEMPLATES` for extraction, a test keeps the two equal). The English template shows a term or covariate as
its code in quotes (``{term!r}``); a translation names it by its label instead (``term``, ``covariate``,
``value``, ``cluster`` and the listed ``covariates`` worded here).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from analysis.cox import ScreenRow
from analysis.messages import Message
from analysis.schema import column_label
from app.components.palette import level_name
from app.i18n import N_, Lang, join_list, join_sentences, t, tr
from app.views import COX_CANDIDATES, term_label_of

TEMPLATES: tuple[str, ...] = (
    N_("{covariate!r} has a single value ({value!r}) in these patients and was left out."),
    N_("{covariate!r} is constant ({value}) in these patients and was left out."),
    N_(
        "{term!r} is constant within strata or a linear combination of other covariates in these patients and was "
        "left out."
    ),
    N_("no covariate varies among these patients ({covariates}), so there is nothing to fit"),
    N_("no covariate varies within strata among these patients, so there is nothing to fit"),
    N_(
        "{covariate!r} holds {value} at row {row}: a Cox model needs values below {limit} in magnitude (their squares "
        "overflow); rescale the column, for example to other units"
    ),
    N_(
        "{term!r} is not estimable in these patients (the information matrix is singular in its direction, as R's "
        "NA coefficient) and was left out."
    ),
    N_("The model did not converge in {iterations} iterations; estimates may be unreliable."),
    N_(
        "Loglik converged before {term!r}; its coefficient may be infinite (for example a group with no events or "
        "every patient with an event)."
    ),
    N_("Only {epv} events per parameter (fewer than {minimum}): estimates may be unstable."),
    N_("cluster {cluster!r} ignored because robust=False (as R)."),
    N_(
        "Robust (sandwich) standard errors: CIs, Wald z, p and the Wald test use them; the likelihood ratio "
        "and score tests assume independent observations, the Wald and robust score tests do not."
    ),
    N_("the proportional-hazards test could not be computed (singular information)"),
)
"""Every template of :data:`analysis.cox_messages.COX_TEMPLATES`, as literal strings pybabel extracts."""


def _covariate(code: str, lang: Lang) -> str:
    return tr(lang, COX_CANDIDATES.get(code, code))


def word(lang: Lang, message: Message) -> str:
    """One warning, note or refusal in ``lang`` (English: exactly the analysis text)."""
    if lang == "en":
        return message.text()
    params: dict[str, object] = {k: word(lang, v) if isinstance(v, Message) else v for k, v in message.params}
    covariate = str(params.get("covariate", ""))
    if "term" in params:
        params["term"] = term_label_of(covariate, str(params["level"]), str(params["reference"]), lang)
    elif "covariate" in params:
        params["covariate"] = _covariate(covariate, lang)
        if "value" in params and not str(params["value"])[:1].isdigit():
            params["value"] = level_name(covariate, str(params["value"]), lang)
    if "covariates" in params:  # the English text's reprs, joined
        codes = ast.literal_eval(f"({params['covariates']},)")
        params["covariates"] = join_list(lang, (_covariate(str(c), lang) for c in codes))
    if "cluster" in params:
        params["cluster"] = tr(lang, column_label(str(params["cluster"])))
    return t(lang, message.template, **params)


def warnings(lang: Lang, texts: Sequence[str], wording: Sequence[Message]) -> list[str]:
    """A model's warnings (or notes) in ``lang``: its messages worded, else its English texts looked up."""
    if wording:
        return [word(lang, m) for m in wording]
    return [tr(lang, text) for text in texts]


def screen_note(row: ScreenRow, lang: Lang) -> str:
    """A univariate screen row's note (its model's warnings, or why it was not fitted) in ``lang``."""
    if row.wording:
        return join_sentences(lang, (word(lang, m) for m in row.wording))
    return tr(lang, row.note or "")
