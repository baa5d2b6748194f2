"""The command line's view of a plan's progress: one line per stage, a bar where it counts."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import (
    Progress as RichBars,
)

from app.planning.progress import Progress


class ConsoleProgress(Progress):
    """Draws each stage as it runs (bar, count and time left when it counts items)."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.bars = RichBars(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description:<18}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
            transient=False,
        )
        self._task: TaskID | None = None
        self._started = 0.0

    def __enter__(self) -> ConsoleProgress:
        self.bars.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.finish()
        self.bars.stop()

    def stage(self, name: str, total: int | None = None) -> None:
        """Start a line for stage ``name``."""
        self.finish()
        self._task = self.bars.add_task(name.replace("_", " "), total=total)
        self._started = time.perf_counter()

    def advance(self, count: int = 1) -> None:
        """Move the current stage's bar on."""
        if self._task is not None:
            self.bars.advance(self._task, count)

    def finish(self) -> None:
        """Close the current stage's line (its bar full, its time frozen)."""
        if self._task is None:
            return
        task = self.bars.tasks[self._task]
        self.bars.update(self._task, total=task.total or task.completed or 1)
        self.bars.update(self._task, completed=task.total)
        self.bars.stop_task(self._task)
        self._task = None
