"""Small-cell and complementary suppression, checked on many generated tables.

The check does not trust the suppression's own reasoning: for each table it
enumerates every table of counts that agrees with everything published (cells,
totals, grand total) and asserts that each suppressed cell takes at least two
values among them, so none can be worked out.
"""

import random

import pytest

from surveys.publication.suppression import Table, suppress, suppress_linked

K = 5


def random_table(seed: int, *, max_rows: int = 3, max_columns: int = 4) -> Table:
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(1, max_rows))]
    columns = [f"c{j}" for j in range(rng.randint(1, max_columns))]
    # Mostly small counts, some zeros and some large: the cases that need care.
    counts = {
        (r, c): rng.choice([0, 0, 1, 2, 3, 4, rng.randint(5, 12), rng.randint(5, 30)])
        for r in rows
        for c in columns
    }
    return Table("t", "row", "column", rows, columns, counts)


def consistent_values(table: Table) -> dict[tuple[int, int], set[int]]:
    """Every value each suppressed cell takes in the tables that agree with the
    published ones (counts bounded by the true grand total, enough to show two)."""
    grid = table.grid()
    height, width = len(grid), len(grid[0])
    unknown = sorted(table.suppressed)
    bound = grid[-1][-1]
    # Every row and column adds up, the totals (last row and column) counted once
    # on the other side of the equation.
    lines = [[(i, j) for j in range(width)] for i in range(height)] + [
        [(i, j) for i in range(height)] for j in range(width)
    ]

    def balance(line, values):
        *parts, total = line
        return sum(values[c] for c in parts) - values[total]

    seen: dict[tuple[int, int], set[int]] = {cell: set() for cell in unknown}
    values = {
        (i, j): grid[i][j]
        for i in range(height)
        for j in range(width)
        if (i, j) not in table.suppressed
    }

    # A cell is at most the published total of its row or column.
    def limit(i: int, j: int) -> int:
        totals = [bound]
        if j != width - 1 and (i, width - 1) in values:
            totals.append(values[(i, width - 1)])
        if i != height - 1 and (height - 1, j) in values:
            totals.append(values[(height - 1, j)])
        return min(totals)

    limits = {cell: limit(*cell) for cell in unknown}

    def search(position: int) -> None:
        if all(len(v) >= 2 for v in seen.values()):
            return
        for line in lines:
            if all(c in values for c in line) and balance(line, values) != 0:
                return
        if position == len(unknown):
            for cell in unknown:
                seen[cell].add(values[cell])
            return
        cell = unknown[position]
        forced = _forced_value(cell, lines, values)
        candidates = [forced] if forced is not None else range(limits[cell] + 1)
        for value in candidates:
            if value is None or not 0 <= value <= bound:
                continue
            values[cell] = value
            search(position + 1)
            del values[cell]

    search(0)
    return seen


def _forced_value(cell, lines, values):
    for line in lines:
        if cell not in line:
            continue
        missing = [c for c in line if c not in values]
        if missing == [cell]:
            *parts, total = line
            if cell == total:
                return sum(values[c] for c in parts)
            return values[total] - sum(values[c] for c in parts if c != cell)
    return None


@pytest.mark.parametrize("seed", range(300))
def test_no_suppressed_cell_can_be_worked_out(seed):
    table = suppress(random_table(seed), k=K)

    for cell, values in consistent_values(table).items():
        assert len(values) >= 2, (seed, cell, table.grid(), sorted(table.suppressed))


@pytest.mark.parametrize("seed", range(300))
def test_every_count_below_k_is_suppressed(seed):
    table = suppress(random_table(seed), k=K)

    for i, line in enumerate(table.published()):
        for j, value in enumerate(line):
            assert value is None or value == 0 or value >= K, (seed, i, j)


@pytest.mark.parametrize("seed", range(100))
def test_larger_tables_have_no_lone_suppression(seed):
    table = suppress(random_table(seed, max_rows=8, max_columns=6), k=K)

    published = table.published()
    for line in [*published, *zip(*published, strict=True)]:
        assert sum(value is None for value in line) != 1, (seed, table.grid())


def test_a_table_without_small_counts_is_published_whole():
    table = suppress(
        Table(
            "t",
            "agency",
            "channel",
            ["HPD"],
            ["email", "sms"],
            {("HPD", "email"): 20, ("HPD", "sms"): 30},
        ),
        k=11,
    )

    assert table.published() == [[20, 30, 50], [20, 30, 50]]


def test_one_small_count_takes_a_complement_in_its_row_and_column():
    counts = {
        ("HPD", "email"): 3,
        ("HPD", "sms"): 40,
        ("DOT", "email"): 25,
        ("DOT", "sms"): 30,
    }
    table = suppress(
        Table("t", "agency", "channel", ["HPD", "DOT"], ["email", "sms"], counts), k=11
    )

    assert table.published() == [[None, None, 43], [None, None, 55], [28, 70, 98]]


@pytest.mark.parametrize("seed", range(100))
def test_linked_tables_hide_a_shared_total_in_every_table(seed):
    first = random_table(seed)
    second = random_table(seed + 1000)
    second.rows = first.rows
    # The same row totals in both: the second table is the first's rows split
    # another way.
    second.counts = {}
    for r in first.rows:
        total = sum(first.counts.get((r, c), 0) for c in first.columns)
        second.counts[(r, "x")] = total // 2
        second.counts[(r, "y")] = total - total // 2
    second.columns = ["x", "y"]
    first.linked_by = second.linked_by = "responses"

    suppress_linked([first, second], k=K)

    hidden_first = {i for i, j in first.suppressed if j == len(first.columns)}
    hidden_second = {i for i, j in second.suppressed if j == len(second.columns)}
    assert hidden_first == hidden_second
    for table in (first, second):
        for cell, values in consistent_values(table).items():
            assert len(values) >= 2, (seed, cell)


def test_a_table_without_rows_still_has_a_total_per_column():
    table = Table("empty", "agency", "channel", [], ["email", "sms"], {})

    suppress(table, k=11)

    assert table.published() == [[0, 0, 0]]
    assert list(table.records()) == [
        ("Total", "email", 0),
        ("Total", "sms", 0),
        ("Total", "Total", 0),
    ]
