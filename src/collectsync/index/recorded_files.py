"""Every file of the record by name, read chunk by chunk as names are looked up (see
chunks.py for what a chunk is)."""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping

from collectsync.files import Entry
from collectsync.index.chunks import Chunk, Md5s, SourcesCompared, chunk_count, chunk_of


class Files(Mapping[str, Entry]):
    """Every file of the record by name, read chunk by chunk as names are looked up."""

    __slots__ = ("chunks",)

    def __init__(self, chunks: tuple[Chunk, ...]) -> None:
        self.chunks = chunks

    @classmethod
    def of(cls, entries: Mapping[str, Entry]) -> Files:
        count = chunk_count(len(entries))
        parts: list[dict[str, Entry]] = [{} for _ in range(count)]
        for name, entry in entries.items():
            parts[chunk_of(name, count)][name] = entry
        return cls(tuple(Chunk(entries=part) for part in parts))

    def _files_of(self, name: str) -> dict[str, Entry]:
        return self.chunks[chunk_of(name, len(self.chunks))].files()

    def __getitem__(self, name: str) -> Entry:
        return self._files_of(name)[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._files_of(name)

    def __iter__(self) -> Iterator[str]:
        for chunk in self.chunks:
            yield from chunk.files()

    def items(self) -> ItemsView[str, Entry]:
        # Mapping's own would look each name's chunk up again: a third of a rollback's plan.
        return _Items(self)

    def __len__(self) -> int:
        return sum(chunk.count for chunk in self.chunks)

    def unlike(self, other: Files) -> list[tuple[Mapping[str, Entry], Mapping[str, Entry]]]:
        """These files and ``other``'s, chunk by chunk, leaving out (and unread) the chunks
        that hold the same entries in both: all in one pair if the layouts differ."""
        count = len(self.chunks)
        if len(other.chunks) != count:
            return [(self, other)]
        compared = SourcesCompared(count)

        def alike(mine: Chunk, theirs: Chunk, number: int) -> bool:
            if mine is theirs:
                return True
            if mine.packed is None or mine.packed != theirs.packed:
                return False
            if not (mine.leans or theirs.leans):
                return True
            # The same bytes take md5s from each record's sources: alike only where those are.
            if mine.sources is None or theirs.sources is None:
                return False
            return number not in compared.unlike(mine.sources, theirs.sources)

        return [
            (mine.files(), theirs.files())
            for number, (mine, theirs) in enumerate(zip(self.chunks, other.chunks, strict=True))
            if not alike(mine, theirs, number)
        ]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Files) and len(other.chunks) == len(self.chunks):
            return all(
                mine is theirs or mine.files() == theirs.files()
                for mine, theirs in zip(self.chunks, other.chunks, strict=True)
            )
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def packed_for(self, sources: Md5s | None) -> tuple[Chunk, ...]:
        """The chunks as the record with ``sources`` writes them: those untouched as read,
        and those whose files take the same md5s from ``sources`` as from their own."""
        count = len(self.chunks)
        altered = {chunk_of(name, count) for name in sources.altered} if sources else set()
        compared = SourcesCompared(count)

        def changed(number: int, chunk: Chunk) -> bool:
            if sources is None or chunk.sources is sources:
                return sources is None
            if chunk.sources is sources.basis:
                return number in altered
            # A rollback writes the live chunks with the earlier release's sources.
            return chunk.sources is None or number in compared.unlike(chunk.sources, sources)

        return tuple(
            chunk.packed_for(sources, changed(number, chunk))
            for number, chunk in enumerate(self.chunks)
        )

    @property
    def live(self) -> int:
        """How many files the latest deploy has."""
        return sum(chunk.live for chunk in self.chunks)

    def changed(self, put: Mapping[str, Entry], drop: Iterable[str] = ()) -> Files:
        """These files with ``put`` set and ``drop`` gone; the untouched chunks shared."""
        count = len(self.chunks)
        touched: dict[int, dict[str, Entry]] = {}

        def files_of(name: str) -> dict[str, Entry]:
            number = chunk_of(name, count)
            if number not in touched:
                touched[number] = dict(self.chunks[number].files())
            return touched[number]

        for name in drop:
            files_of(name).pop(name, None)
        for name, entry in put.items():
            files_of(name)[name] = entry
        chunks = list(self.chunks)
        for number, entries in touched.items():
            chunks[number] = Chunk(entries=entries)
        files = Files(tuple(chunks))
        wanted = chunk_count(len(files))
        if wanted >= 4 * count or 4 * wanted <= count:
            return Files.of(dict(files.items()))
        return files


class _Items(ItemsView[str, Entry]):
    _mapping: Files

    def __iter__(self) -> Iterator[tuple[str, Entry]]:
        for chunk in self._mapping.chunks:
            yield from chunk.files().items()
