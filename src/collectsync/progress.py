"""Progress bars for people watching a deploy in a terminal; CI logs get only the summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from django.core.files.storage import Storage
from tqdm import tqdm


class Bar:
    """One bar, or nothing at all when there is no terminal to show it on."""

    def __init__(self, shown: tqdm[Any] | None = None) -> None:
        self._shown = shown

    def tick(self, note: str = "") -> None:
        """One more file done; ``note`` is shown after the bar (throttling, say)."""
        if self._shown is not None:
            if note:
                self._shown.set_postfix_str(note, refresh=False)
            self._shown.update()

    def close(self) -> None:
        if self._shown is not None:
            self._shown.close()


class Progress:
    def __init__(self, stream: TextIO | None) -> None:
        """Bars go to ``stream``; None turns them off."""
        self._stream = stream

    def start(self, description: str, total: int | None = None) -> Bar:
        if self._stream is None:
            return Bar()
        return Bar(
            tqdm(desc=description, total=total, unit=" files", file=self._stream, leave=True)
        )

    def show_post_processing(self, storage: Storage, *, after: Bar) -> None:
        """Show ``storage``'s post-processing, most of staging's time, as a bar of its own,
        closing the ``after`` bar of the collection before it."""
        post_process = storage.post_process  # type: ignore[attr-defined]

        def post_process_with_bar(*args: Any, **kwargs: Any) -> Iterator[Any]:
            after.close()
            with self.bar("Post-processing") as bar:
                for result in post_process(*args, **kwargs):
                    bar.tick()
                    yield result

        storage.post_process = post_process_with_bar  # type: ignore[attr-defined]

    @contextmanager
    def bar(self, description: str, total: int | None = None) -> Iterator[Bar]:
        bar = self.start(description, total)
        try:
            yield bar
        finally:
            bar.close()
