"""Domain exceptions with messages a clinician can read.

Every error that can reach a user is one of these. The CLI turns them into a
one-line message and exit code 2; the dashboard shows the message in place of
the figure. Nothing else should escape to a user.
"""

from __future__ import annotations

from typing import Self

from analysis.messages import Message, Param


class PPXError(Exception):
    """Base class of every error the analysis layer raises on purpose.

    ``wording``: the message as a template and parameters (:mod:`analysis.messages`), for the app to word in
    the interface language; ``str(error)`` is its English text (what ``ppx`` prints). None: English only.
    """

    wording: Message | None = None

    @classmethod
    def of(cls, template: str, **params: Param) -> Self:
        """An error of this class worded by ``template`` and ``params``."""
        return cls.worded(Message.of(template, **params))

    @classmethod
    def worded(cls, message: Message) -> Self:
        error = cls(message.text())
        error.wording = message
        return error


class DataError(PPXError, ValueError):
    """The input data cannot be used as given (unknown column, bad values, unreadable file); ``DataError.of``
    words it by a template (:class:`PPXError`)."""


class EmptyGroupError(PPXError, ValueError):
    """A group or subgroup has no patients, so the statistic is undefined."""


class ConvergenceError(PPXError, ValueError):
    """A model did not converge, for example because of perfect separation."""


class StatisticalWarning(UserWarning):
    """A result was computed but should be read with care (few events, small groups)."""


class UndefinedComparisonError(PPXError, ValueError):
    """A test cannot be computed: fewer than two groups with patients, or no events at all."""
