"""Small-cell suppression of the published count tables.

A table is a two-way count (e.g. agency x channel) published with its row and
column totals and grand total. Any count from 1 to k-1, totals included, is
suppressed (primary suppression). Then more cells are suppressed (complementary
suppression) until no suppressed value can be worked out from what is published:

Write the table with its totals as one grid in which every row and column adds
up, the totals counted negatively. The unknown (suppressed) cells are then the
edges of a bipartite graph between rows and columns, and a suppressed cell is
determined by the published cells exactly when its edge is a bridge of that
graph: on a cycle, a reader can add to one cell and take from the next around
the cycle and keep every published sum. So the rule applied is that no
suppressed cell is a bridge. Complements are the smallest positive counts that
close a cycle, so that each cycle can move both ways while every count stays
at least zero. surveys/tests/test_publication_suppression.py checks the
property by enumerating every table consistent with what is published.

Tables that share totals (the responses by agency of several breakdowns) are
suppressed together: a total hidden in one is hidden in all (suppress_linked).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

TOTAL = "Total"

Cell = tuple[int, int]


@dataclass
class Table:
    """Counts by two dimensions; missing cells are zero."""

    name: str
    row_dimension: str
    column_dimension: str
    rows: Sequence[str]
    columns: Sequence[str]
    counts: dict[tuple[str, str], int]
    # Tables with the same key share their row totals and grand total.
    linked_by: str = ""
    suppressed: set[Cell] = field(default_factory=set)

    def grid(self) -> list[list[int]]:
        """Counts with a total column and a total row, last."""
        body = [[self.counts.get((r, c), 0) for c in self.columns] for r in self.rows]
        with_totals = [[*line, sum(line)] for line in body]
        # Without rows the total row still has a cell per column and the total.
        column_totals = [
            sum(line[j] for line in with_totals) for j in range(len(self.columns) + 1)
        ]
        return [*with_totals, column_totals]

    def published(self) -> list[list[int | None]]:
        """The grid as published: None where a count is suppressed."""
        return [
            [
                None if (i, j) in self.suppressed else value
                for j, value in enumerate(line)
            ]
            for i, line in enumerate(self.grid())
        ]

    def records(self) -> Iterable[tuple[str, str, int | None]]:
        """(row, column, count or None) of every cell, totals included."""
        row_labels = [*self.rows, TOTAL]
        column_labels = [*self.columns, TOTAL]
        for i, line in enumerate(self.published()):
            for j, value in enumerate(line):
                yield row_labels[i], column_labels[j], value


def suppress(table: Table, *, k: int, forced: Iterable[Cell] = ()) -> Table:
    """Mark the table's suppressed cells (primary, forced, then complementary)."""
    grid = table.grid()
    suppressed = {
        (i, j)
        for i, line in enumerate(grid)
        for j, value in enumerate(line)
        if 0 < value < k
    }
    suppressed |= set(forced)
    while _add_complement(grid, suppressed):
        pass
    table.suppressed = suppressed
    return table


def suppress_linked(tables: Sequence[Table], *, k: int) -> list[Table]:
    """Suppress each table; a shared total hidden in one is hidden in all."""
    forced: dict[str, set[int]] = {}
    while True:
        for table in tables:
            total_column = len(table.columns)
            hidden_rows = (
                forced.get(table.linked_by, set()) if table.linked_by else set()
            )
            suppress(table, k=k, forced={(i, total_column) for i in hidden_rows})
        changed = False
        for table in tables:
            if not table.linked_by:
                continue
            total_column = len(table.columns)
            hidden = {i for i, j in table.suppressed if j == total_column}
            known = forced.setdefault(table.linked_by, set())
            if not hidden <= known:
                known |= hidden
                changed = True
        if not changed:
            return list(tables)


def _add_complement(grid: list[list[int]], suppressed: set[Cell]) -> bool:
    """Suppress one more cell if a suppressed one can still be worked out."""
    height, width = len(grid), len(grid[0])
    lines = [[(i, j) for j in range(width)] for i in range(height)] + [
        [(i, j) for i in range(height)] for j in range(width)
    ]
    # Cheap and common: a line with one suppressed cell gives it away.
    for line in lines:
        if sum(cell in suppressed for cell in line) == 1:
            _suppress_smallest(
                grid, suppressed, [c for c in line if c not in suppressed]
            )
            return True
    for bridge in _bridges(suppressed):
        side_a, side_b = _sides_without(suppressed, bridge)
        candidates = [
            (i, j)
            for rows, columns in ((side_a, side_b), (side_b, side_a))
            for i in rows[0]
            for j in columns[1]
            if (i, j) not in suppressed
        ]
        if candidates:
            _suppress_smallest(grid, suppressed, candidates)
            return True
    return False


def _suppress_smallest(
    grid: list[list[int]], suppressed: set[Cell], candidates: list[Cell]
) -> None:
    # The smallest positive count hides least; a zero only when there is no other.
    def cost(cell: Cell) -> tuple[bool, int, Cell]:
        value = grid[cell[0]][cell[1]]
        return (value == 0, value, cell)

    suppressed.add(min(candidates, key=cost))


def _graph(cells: Iterable[Cell]) -> dict[tuple[str, int], list[tuple[str, int]]]:
    graph: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in cells:
        graph.setdefault(("r", i), []).append(("c", j))
        graph.setdefault(("c", j), []).append(("r", i))
    return graph


def _bridges(cells: set[Cell]) -> list[Cell]:
    """Suppressed cells that lie on no cycle of suppressed cells (Tarjan)."""
    graph = _graph(cells)
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[Cell] = []
    for root in sorted(graph):
        if root in order:
            continue
        # Iterative depth-first search: (node, parent, neighbours left).
        order[root] = low[root] = len(order)
        stack = [(root, None, iter(graph[root]))]
        while stack:
            node, parent, neighbours = stack[-1]
            advanced = False
            for neighbour in neighbours:
                if neighbour == parent:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, node, iter(graph[neighbour])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if parent is not None:
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    row, column = (parent, node) if parent[0] == "r" else (node, parent)
                    found.append((row[1], column[1]))
    return sorted(found)


def _sides_without(
    cells: set[Cell], bridge: Cell
) -> tuple[tuple[set[int], set[int]], tuple[set[int], set[int]]]:
    """(rows, columns) on each side of a bridge once it is taken out."""
    graph = _graph(cells - {bridge})
    sides = []
    for start in (("r", bridge[0]), ("c", bridge[1])):
        seen = {start}
        todo = [start]
        while todo:
            for neighbour in graph.get(todo.pop(), []):
                if neighbour not in seen:
                    seen.add(neighbour)
                    todo.append(neighbour)
        sides.append(
            (
                {index for kind, index in seen if kind == "r"},
                {index for kind, index in seen if kind == "c"},
            )
        )
    return sides[0], sides[1]
