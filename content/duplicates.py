from collections.abc import Hashable, Iterable, Iterator


def duplicates(values: Iterable[Hashable]) -> Iterator[tuple[int, int]]:
    """(index, index of the first equal value) for every value seen before."""
    first: dict[Hashable, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield index, first[value]
        else:
            first[value] = index
