"""Disjoint sets over listing numbers: what vendors and duplicate clusters are
made of (connected components of "shares a key" and "reads the same")."""

from __future__ import annotations

from collections import defaultdict


class DisjointSets:
    """Union-find with path halving over the numbers 0..n-1, grown by `add`."""

    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        """A new singleton set; returns its number."""
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)

    def groups(self) -> list[list[int]]:
        """Every set of two or more members, members in ascending order."""
        members: dict[int, list[int]] = defaultdict(list)
        for item in range(len(self.parent)):
            members[self.find(item)].append(item)
        return [group for group in members.values() if len(group) > 1]
