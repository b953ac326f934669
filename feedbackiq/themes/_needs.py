"""NeedGrouper: group fine themes into needs, the coarse level a product manager sizes.

Why each step:
- One need voiced in two languages must be one need, but a multilingual model places a sentence
  nearer to other sentences in its own language than to its translation. Each language's mean
  vector is subtracted from its rows (shrunk towards the overall mean when a language has few
  rows), which removes most of that offset; in one language this only removes the direction all
  texts share, so similarities measure what tells texts apart.
- Themes are linked by their items' nearest neighbours (cosine, in that centred space): two themes
  whose items keep finding each other are one need, and a small distinct theme keeps its own
  need, which centroid distances alone do not tell apart. The neighbours are taken among at most
  ``max_rows`` rows drawn at random, so the cost does not grow with the set. Like the themes'
  density, the links count distinct texts (a text repeated by many voices once); weights count in
  the needs' sizes, which order them and which ``min_need_share`` reads.
- Needs are the communities of that theme graph that maximise modularity (Louvain): the number
  of needs follows from the data. How far a neighbourhood reaches sets how coarse the needs come
  out: each row links to its nearest ``neighbor_share`` of the drawn rows, so a need tends to hold
  at least about that share of the items, whatever the size of the set. Themes that no drawn row
  stands for join the need of their most similar theme.
- ``n_needs`` replaces the modularity optimum: Louvain's needs (the themes, when it found fewer)
  are merged greedily, the pair with the largest modularity gain first, until exactly that many
  remain. Otherwise
  ``min_need_share`` folds every need smaller than that share of the items into the need its
  items link to most (a floor; the neighbourhood above already keeps most needs well above it).
- "Other" (label -1) is never grouped: it has no need.
"""

from __future__ import annotations

import numpy as np

from feedbackiq._errors import InputError

__all__ = ["NeedGrouper", "group_means", "louvain"]

# Rows of a language that weigh as much as the overall mean when its mean vector is estimated
_SHRINK_ROWS = 20.0


class NeedGrouper:
    """Group fine themes into needs; the number of needs is found, never required.

    Parameters
    ----------
    n_needs : int, optional
        Force this many needs (at most the number of themes). Default: found from the data.
    min_need_share : float or None, default 0.01
        Smallest share of the items (of those in a theme) a need may hold; a smaller need is folded
        into the need its items link to most. ``None`` or 0: no minimum.
    neighbor_share : float, default 0.035
        Each drawn row links to its nearest ``neighbor_share`` of the drawn rows (at least
        ``min_neighbors``): how far a neighbourhood reaches, and so how coarse the needs are.
    min_neighbors : int, default 10
    max_rows : int, default 4000
        Distinct rows drawn (uniformly) to link themes; every row counts in the sizes. As for the
        themes' own density, a distinct text counts once in the links, whatever its weight.
    random_state : int, default 0
        Seeds the draw of rows and Louvain's order; the same input and seed give the same needs.

    Attributes
    ----------
    need_of_theme_ : ndarray of int, shape (n_themes,)
        Need of each theme, ``0 .. n_needs_ - 1``, need 0 the largest in items.
    n_needs_ : int
    neighbors_ : int
        Nearest neighbours each drawn row linked to (0 when there was nothing to group).
    sizes_ : ndarray of float, shape (n_needs_,)
        Items (summed weights) per need.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> offset = 0.15 * np.eye(6)[[3, 3, 4, 4, 5, 5]] * np.array([1, -1, 1, -1, 1, -1])[:, None]
    >>> centres = np.eye(6)[[0, 0, 1, 1, 2, 2]] + offset           # three needs of two themes each
    >>> X = np.vstack([rng.normal(c, 0.2, (40, 6)) for c in centres])
    >>> labels = np.repeat(np.arange(6), 40)
    >>> g = NeedGrouper(random_state=0).fit(X, labels)
    >>> g.n_needs_, g.need_of_theme_.tolist()
    (3, [0, 0, 1, 1, 2, 2])
    """

    def __init__(self, n_needs: int | None = None, min_need_share: float | None = 0.01,
                 neighbor_share: float = 0.035, min_neighbors: int = 10, max_rows: int = 4000,
                 random_state: int = 0) -> None:
        self.n_needs = n_needs
        self.min_need_share = min_need_share
        self.neighbor_share = neighbor_share
        self.min_neighbors = min_neighbors
        self.max_rows = max_rows
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments (scikit-learn convention), e.g. to clone or to record a run."""
        import inspect

        return {name: getattr(self, name) for name in inspect.signature(type(self).__init__).parameters if name != "self"}

    def fit(self, X: np.ndarray, labels: np.ndarray, sample_weight: np.ndarray | None = None,
            groups: np.ndarray | None = None, reduced: np.ndarray | None = None) -> "NeedGrouper":
        """Group the themes of ``labels`` into needs.

        Parameters
        ----------
        X : array-like of shape (n, dim)
            One row per distinct text (unit vectors; normalised here if not).
        labels : array-like of int, shape (n,)
            Theme of each row, ``0 .. n_themes - 1``; ``-1`` ("other") is never grouped.
        sample_weight : array-like of shape (n,), optional
            Items each row stands for.
        groups : array-like of str, shape (n,), optional
            Each row's language (``""``: unknown); one need in two languages becomes one need.
        reduced : array-like, optional
            Accepted for the caller's convenience (``ThemeClusterer.reduced_``) and not used: the
            grouping works in the original space, where rows outside a fitted sample have vectors too.

        Returns
        -------
        NeedGrouper
        """
        X, labels, w, groups = self._validate(X, labels, sample_weight, groups)
        k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
        self.neighbors_ = 0
        if k == 0:
            return self._finish(np.zeros(0, dtype=int), np.zeros(0))
        size = np.bincount(labels[labels >= 0], weights=w[labels >= 0], minlength=k)
        names, means = group_means(X, w, groups, labels >= 0)
        group_of = np.searchsorted(names, groups)
        rows = self._draw(labels)
        Z = _unit(_unit(X[rows]) - means[group_of[rows]])
        present = np.unique(labels[rows])
        if self.n_needs is not None and self.n_needs >= k or len(present) < 2:
            return self._finish(np.arange(k), size)
        nn = max(min(self.min_neighbors, len(rows) - 1), min(round(self.neighbor_share * len(rows)), len(rows) - 1))
        lab = labels[rows]
        A = _theme_graph(lab, _neighbours(Z, max(nn, 1)), k)
        B = A[np.ix_(present, present)]
        need = np.full(k, -1, dtype=int)
        need[present] = louvain(B, np.random.default_rng(self.random_state))
        if self.n_needs is not None:
            # The forced count: merge Louvain's needs (or, when it found fewer, the themes) by the
            # largest modularity gain until that many remain.
            found = need[present]
            need[present] = _merge_to(B, found if found.max() + 1 >= self.n_needs else np.arange(len(present)), self.n_needs)
        self.neighbors_ = nn
        C = _centroids(Z, lab, k)
        for t in np.setdiff1d(np.arange(k), present).tolist():
            # a theme no drawn row stands for: its own centroid, and the need of its most similar drawn theme
            member = np.where(labels == t)[0]
            C[t] = _unit((w[member] @ (_unit(X[member]) - means[group_of[member]]))[None])[0]
            need[t] = need[present[int(np.argmax(C[present] @ C[t]))]]
        if self.min_need_share and self.n_needs is None:
            need = _fold_small(need, size, A, C, self.min_need_share)
        return self._finish(need, size)

    def _finish(self, need: np.ndarray, size: np.ndarray) -> "NeedGrouper":
        """Number needs 0.. by items, largest first (ties: the need of the lowest theme id first)."""
        ids, inv = np.unique(need, return_inverse=True)
        totals = np.bincount(inv, weights=size, minlength=len(ids)) if len(ids) else np.zeros(0)
        first = np.array([np.min(np.where(inv == i)[0]) for i in range(len(ids))], dtype=int)
        rank = np.lexsort((first, -totals))
        new = np.empty(len(ids), dtype=int)
        new[rank] = np.arange(len(ids))
        self.need_of_theme_ = new[inv].astype(int)
        self.n_needs_ = len(ids)
        self.sizes_ = totals[rank]
        return self

    def _draw(self, labels: np.ndarray) -> np.ndarray:
        """At most ``max_rows`` theme rows, drawn without replacement."""
        rows = np.where(labels >= 0)[0]
        if len(rows) > self.max_rows:
            rows = np.sort(np.random.default_rng(self.random_state).choice(rows, self.max_rows, replace=False))
        return rows

    def _validate(self, X, labels, sample_weight, groups):
        X = np.asarray(X, dtype=np.float32)
        labels = np.asarray(labels).astype(int).reshape(-1)
        if X.ndim != 2 or X.shape[0] != len(labels):
            raise InputError(f"X must be 2-D with one row per label; got shape {X.shape} for {len(labels)} labels")
        if self.n_needs is not None and self.n_needs < 1:
            raise InputError(f"n_needs must be at least 1, got {self.n_needs!r}")
        if self.min_need_share is not None and not 0 <= self.min_need_share < 1:
            raise InputError(f"min_need_share must be in [0, 1) or None, got {self.min_need_share!r}")
        w = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if len(w) != len(labels) or not np.isfinite(w).all() or (w <= 0).any():
            raise InputError("sample_weight must hold one positive, finite value per row")
        g = np.full(len(labels), "") if groups is None else np.asarray(groups).astype(str)
        if len(g) != len(labels):
            raise InputError(f"groups has {len(g)} values for {len(labels)} rows")
        return X, labels, w, g


def group_means(X: np.ndarray, w: np.ndarray, groups: np.ndarray, use: np.ndarray,
                block: int = 16_384) -> tuple[np.ndarray, np.ndarray]:
    """Sorted group names and each group's weighted mean of the unit rows in ``use``, shrunk
    towards the overall mean by ``_SHRINK_ROWS`` rows' weight; group ``""`` gets the overall mean.
    Summed in blocks of rows (no copy of ``X``).

    >>> X = np.array([[1, 0], [1, 0.2], [0, 1], [0.2, 1]], dtype=np.float32)
    >>> names, means = group_means(X, np.full(4, 1000.0), np.array(["en", "en", "zh", "zh"]), np.ones(4, bool))
    >>> names.tolist(), np.round(means, 1).tolist()
    (['en', 'zh'], [[1.0, 0.1], [0.1, 1.0]])
    """
    names, inv = np.unique(groups, return_inverse=True)
    sums = np.zeros((len(names), X.shape[1]))
    weight = np.bincount(inv[use], weights=w[use], minlength=len(names))
    for start in range(0, len(X), block):
        part = slice(start, start + block)
        onehot = np.zeros((len(names), len(X[part])))
        onehot[inv[part], np.arange(len(X[part]))] = np.where(use[part], w[part], 0.0)
        sums += onehot @ _unit(X[part])
    overall = sums.sum(axis=0) / max(weight.sum(), 1e-12)
    means = (sums + _SHRINK_ROWS * overall) / (weight + _SHRINK_ROWS)[:, None]
    means[names == ""] = overall
    return names, means


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def _centroids(Z: np.ndarray, lab: np.ndarray, k: int) -> np.ndarray:
    """Unit mean vector of each theme's rows (zeros for a theme without rows)."""
    C = np.zeros((k, Z.shape[1]))
    np.add.at(C, lab, Z)
    return C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)


def _neighbours(Z: np.ndarray, n: int, block: int = 2048) -> np.ndarray:
    """Each row's ``n`` (< rows) most similar other rows, in no order, in blocks of rows."""
    out = np.empty((len(Z), n), dtype=np.int64)
    for start in range(0, len(Z), block):
        sims = Z[start:start + block] @ Z.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf   # never its own neighbour
        out[start:start + len(sims)] = np.argpartition(-sims, n - 1, axis=1)[:, :n]
    return out


def _theme_graph(lab: np.ndarray, order: np.ndarray, k: int) -> np.ndarray:
    """Symmetric theme x theme counts of nearest-neighbour links between the drawn rows."""
    A = np.zeros((k, k))
    np.add.at(A, (np.repeat(lab, order.shape[1]), lab[order].ravel()), 1.0)
    return A + A.T


def _merge_to(B: np.ndarray, start: np.ndarray, n: int) -> np.ndarray:
    """From the groups ``start`` of the nodes of graph ``B``, merge the pair with the largest modularity
    gain (the smallest loss) until ``n`` groups remain; returns a group id per node."""
    ids, start = np.unique(start, return_inverse=True)
    P = np.zeros((len(B), len(ids)))
    P[np.arange(len(B)), start] = 1.0
    E = P.T @ B @ P / max(B.sum(), 1e-12)
    d = E.sum(axis=1)
    group = np.arange(len(ids))
    alive = np.ones(len(ids), dtype=bool)
    while alive.sum() > n:
        gain = 2 * (E - np.outer(d, d))
        gain[~alive, :] = -np.inf
        gain[:, ~alive] = -np.inf
        np.fill_diagonal(gain, -np.inf)
        a, b = sorted(np.unravel_index(int(np.argmax(gain)), gain.shape))
        E[a, :] += E[b, :]
        E[:, a] += E[:, b]
        d[a] += d[b]
        alive[b] = False
        group[group == b] = a
    return np.unique(group, return_inverse=True)[1][start]


def louvain(A: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Communities of the weighted graph ``A`` (symmetric, self-loops allowed) by the Louvain method.

    Nodes move, in a random order, to the neighbouring community with the largest modularity gain
    until none gains; the communities then become the nodes of a smaller graph, and again, until
    nothing moves. Returns a community id per node.

    >>> A = np.kron(np.eye(3), np.ones((4, 4))) + 0.01
    >>> louvain(A, np.random.default_rng(0)).tolist()
    [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    """
    node_of = np.arange(len(A))
    while True:
        comm = _local_moving(A, rng)
        ids, comm = np.unique(comm, return_inverse=True)
        if len(ids) == len(A):
            break
        P = np.zeros((len(A), len(ids)))
        P[np.arange(len(A)), comm] = 1.0
        A = P.T @ A @ P
        node_of = comm[node_of]
    _, node_of = np.unique(node_of, return_inverse=True)
    return node_of


def _local_moving(A: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Louvain's first phase: each node joins the community that gains the most modularity."""
    n = len(A)
    two_m = A.sum()
    deg = A.sum(axis=1)
    comm = np.arange(n)
    tot = deg.copy()                 # summed degree per community
    links = A.copy()                 # links[i, c]: weight from node i to community c
    moved = True
    while moved and two_m > 0:
        moved = False
        for i in rng.permutation(n):
            old = comm[i]
            tot[old] -= deg[i]
            gain = links[i] - deg[i] * tot / two_m
            gain[old] -= A[i, i]
            new = int(np.argmax(gain))
            if gain[new] <= gain[old] + 1e-12:
                new = old
            if new != old:
                links[:, old] -= A[:, i]
                links[:, new] += A[:, i]
                comm[i] = new
                moved = True
            tot[new] += deg[i]
    return comm


def _fold_small(need: np.ndarray, size: np.ndarray, A: np.ndarray, C: np.ndarray, share: float) -> np.ndarray:
    """Fold needs below ``share`` of the items, smallest first, into the need their rows link to
    most (without links: the need whose centroid is most similar)."""
    need = need.copy()
    total = size.sum()
    while True:
        ids, inv = np.unique(need, return_inverse=True)
        items = np.bincount(inv, weights=size, minlength=len(ids))
        small = int(np.argmin(items))
        if len(ids) < 2 or items[small] >= share * total:
            return need
        onehot = np.zeros((len(ids), len(need)))
        onehot[inv, np.arange(len(need))] = 1.0
        links = onehot @ A[inv == small].sum(axis=0)
        links[small] = 0.0
        centre = onehot @ (C * size[:, None])
        score = links if links.max() > 0 else _unit(centre) @ _unit(centre[small][None])[0]
        score[small] = -np.inf
        need[inv == small] = ids[int(np.argmax(score))]
