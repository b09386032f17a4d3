"""Watching Django's post-processing on the local storage: what each file refers to, and,
for an incremental stage, answers about the sources not staged again from the record."""

from __future__ import annotations

import inspect
import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles.storage import HashedFilesMixin
from django.core.files.storage import Storage

from collectsync.files import hash_in
from collectsync.stage.incremental import Selection


def reference_path(name: str) -> str:
    """The source a reference resolves to, as Django's hashed_name() reads it."""
    return posixpath.normpath(urlsplit(unquote(name)).path.strip())


HOOKED_CALLS: dict[str, tuple[Any, ...]] = {
    "url_converter": ("css/a.css", {}),
    "_stored_name": ("img/a.png", {}),
    "post_process": ({},),
    "hashed_name": ("img/a.png", None, None),
    "file_hash": ("img/a.png", None),
    "save_manifest": (),
}
"""The methods of Django's storage that watching hooks, and arguments as it passes them."""


def unhookable(storage_class: type) -> str | None:
    """Why post-processing with ``storage_class`` can't be watched, if it can't: a hooked
    method gone or taking other arguments (a Django newer than collectsync knows)."""
    if not issubclass(storage_class, HashedFilesMixin):
        return None
    for method, arguments in HOOKED_CALLS.items():
        function = getattr(storage_class, method, None)
        try:
            inspect.signature(function).bind(None, *arguments)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return (
                f"{storage_class.__name__}.{method}() is missing or takes other arguments "
                "than collectsync expects (a newer Django?), so it can't stage incrementally"
            )
    return None


class RecordedHash:
    """Stands for a file's content when the record already knows its hash."""

    def __init__(self, file_hash: str) -> None:
        self.file_hash = file_hash


class Watched:
    """Hooks Django's post-processing on the local storage.

    Always: notes the sources each processed file refers to. With a ``selection``: processes
    only the sources it stages, answers questions about the others from the record, and writes
    the manifest of the whole tree, as a full run would.
    """

    def __init__(self, storage: Storage, selection: Selection | None = None) -> None:
        self.refs: dict[str, set[str]] = defaultdict(set)
        self._current: str | None = None
        self.watching = isinstance(storage, HashedFilesMixin) and not unhookable(type(storage))
        """Whether the references were noted: else the record can't vouch for the sources."""
        if not self.watching:
            return
        hook(storage, "url_converter", self._converter_noting_its_file)
        hook(storage, "_stored_name", self._stored_name_noted)
        if selection is None:
            return
        self._found: list[str] = []
        hook(storage, "post_process", lambda original: self._only(original, selection.staged))
        hook(
            storage,
            "hashed_name",
            lambda original: self._answering(original, selection.reused),
        )
        hook(storage, "file_hash", self._recorded_file_hash)
        hook(
            storage,
            "save_manifest",
            lambda original: self._whole(original, storage, selection.reused),
        )

    def _converter_noting_its_file(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def url_converter(name: str, *args: Any, **kwargs: Any) -> Callable[..., str]:
            convert = original(name, *args, **kwargs)

            def converter(match: Any) -> str:
                self._current = name
                try:
                    return str(convert(match))
                finally:
                    self._current = None

            return converter

        return url_converter

    def _stored_name_noted(self, original: Callable[..., str]) -> Callable[..., str]:
        def stored_name(name: str, *args: Any) -> str:
            if self._current is not None:
                self.refs[self._current].add(reference_path(name))
            return original(name, *args)

        return stored_name

    def _only(
        self, original: Callable[..., Iterator[Any]], selected: set[str]
    ) -> Callable[..., Any]:
        def post_process(paths: dict[str, Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
            self._found = list(paths)
            chosen = {name: found for name, found in paths.items() if name in selected}
            return original(chosen, *args, **kwargs)

        return post_process

    @staticmethod
    def _answering(original: Callable[..., str], reused: dict[str, str]) -> Callable[..., str]:
        def hashed_name(name: str, content: Any = None, filename: str | None = None) -> str:
            if content is None and filename is None:
                path = reference_path(name)
                file_hash = hash_in(path, reused[path]) if path in reused else None
                if file_hash is not None:
                    return original(name, RecordedHash(file_hash))
            return original(name, content, filename)

        return hashed_name

    @staticmethod
    def _recorded_file_hash(original: Callable[..., str | None]) -> Callable[..., str | None]:
        def file_hash(name: str | None, content: Any = None) -> str | None:
            if isinstance(content, RecordedHash):
                return content.file_hash
            return original(name, content)

        return file_hash

    def _whole(
        self, original: Callable[[], None], storage: Any, carried: dict[str, str]
    ) -> Callable[[], None]:
        def save_manifest() -> None:
            # In the order a full run records them: deepest paths first, as collect() found
            # them (Django 5.2 writes the manifest in that order; 6.0 and later sort it).
            hashed = {**carried, **storage.hashed_files}
            order = sorted(self._found, key=lambda name: name.count("/"), reverse=True)
            storage.hashed_files = {name: hashed[name] for name in order if name in hashed}
            storage.hashed_files.update(hashed)  # nothing is left out, whatever the order
            original()

        return save_manifest


def hook(storage: Storage, method: str, wrap: Callable[[Any], Any]) -> None:
    """Replace ``method`` of this one storage instance with ``wrap`` of the current one."""
    setattr(storage, method, wrap(getattr(storage, method)))
