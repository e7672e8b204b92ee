"""Independent components of an arc problem (agents and jobs linked by arcs and groups).

Examples
--------
>>> from vmatch.arcs import ArcProblem
>>> ap = ArcProblem.build(n_agents=3, n_jobs=2, arc_agent=[0, 1, 2], arc_job=[0, 0, 1])
>>> n, arc_label = components(ap)
>>> n, arc_label.tolist()
(2, [0, 0, 1])
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from vmatch.arcs import ArcProblem

__all__ = ["components"]


def components(ap: ArcProblem) -> tuple[int, npt.NDArray[np.int64]]:
    """Number of components that hold arcs, and the component label of each arc.

    Nodes are agents, jobs and job groups; arcs join an agent to a job, and each job is
    joined to its group. Pinned and clique rows only join arcs of one agent, so they never
    join two components. Components are numbered by their first arc.
    """
    na, nj, ng = ap.n_agents, ap.n_jobs, ap.n_groups
    n = na + nj + ng
    rows = np.concatenate([ap.arc_agent, na + np.arange(nj)])
    cols = np.concatenate([na + ap.arc_job, na + nj + ap.job_group])
    g = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    arc_lab = lab[ap.arc_agent]
    if not len(arc_lab):
        return 0, arc_lab.astype(np.int64)
    uniq, first, inv = np.unique(arc_lab, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), np.int64)
    rank[np.argsort(first)] = np.arange(len(uniq))
    return len(uniq), rank[inv].astype(np.int64)
