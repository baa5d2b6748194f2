"""Errors of the segments package: the filter language and the data segments are built from."""

from __future__ import annotations

__all__ = ["FilterError", "SegmentDataError"]


class FilterError(ValueError):
    """A target expression that cannot be parsed or evaluated against the voter data.

    ``str(error)`` shows the reason, the expression and a caret under the offending
    character, so the message can be shown to the organiser as it is::

        unknown field 'partyy' at position 0; fields that exist: age, party, precinct
          partyy = D
          ^

    Parameters
    ----------
    reason : str
        What went wrong, without the position (e.g. ``"unknown field 'partyy'"``).
    expression : str, default ""
        The whole expression the organiser typed.
    position : int or None, default None
        0-based character offset into `expression` where the problem is, or None when the
        problem is not tied to one place (e.g. an empty expression).
    detail : str or None, default None
        Extra help appended after the position (e.g. the fields that exist).

    Attributes
    ----------
    reason : str
    expression : str
    position : int or None
    detail : str or None
    """

    def __init__(
        self,
        reason: str,
        expression: str = "",
        position: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.reason = reason
        self.expression = expression
        self.position = position
        self.detail = detail
        super().__init__(self._render())

    def __reduce__(self) -> tuple[type[FilterError], tuple[str, str, int | None, str | None]]:
        # args holds the rendered text, so the default reduce would rebuild a different error
        # (pickling matters when a plan runs in a worker process).
        return (type(self), (self.reason, self.expression, self.position, self.detail))

    def _render(self) -> str:
        head = self.reason
        if self.position is not None:
            head += f" at position {self.position}"
        if self.detail:
            head += f"; {self.detail}"
        if not self.expression.strip():
            return head
        # Tabs and newlines would shift the caret, so every whitespace character is shown as one
        # space; positions still count characters of the original text.
        shown = "".join(" " if ch.isspace() else ch for ch in self.expression)
        lines = [head, f"  {shown}"]
        if self.position is not None:
            lines.append("  " + " " * self.position + "^")
        return "\n".join(lines)


class SegmentDataError(ValueError):
    """A frame given to segments/ lacks a column or holds values it cannot use.

    The message names the frame, the column or values and what to do, so app/ can show it
    to the organiser as it is.
    """
