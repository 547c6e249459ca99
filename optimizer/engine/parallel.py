"""Run one function over many inputs: in this process, in a pool of processes, or on a dask cluster.

    results = run_all(solve_sample, tasks, jobs=2)                  # two local processes
    results = run_all(solve_sample, tasks, dask="local", jobs=2)    # a throw-away LocalCluster on loopback
    results = run_all(solve_sample, tasks, dask="tcp://host:8786")  # a running dask.distributed scheduler

Results come back in the order of `tasks`, whatever the backend, so a seeded computation gives
the same answer on each. `progress(done, total)` is called as results arrive. The function must be
defined at module level: the workers import it by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from optimizer.core.errors import SolverUnavailableError

Progress = Callable[[int, int], None]


@contextmanager
def dask_client(address: str, workers: int = 1) -> Iterator[Any]:
    """A dask.distributed Client: `address` "local" starts a LocalCluster on loopback with `workers`
    single-threaded worker processes (closed on exit); otherwise the scheduler at `address`."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SolverUnavailableError("dask needs dask.distributed: pip install 'alliance-portfolio[distributed]'") \
            from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        address = cluster.scheduler_address
    try:
        try:
            client = Client(address, timeout="30s")
        except OSError as exc:
            raise SolverUnavailableError(f"dask {address}: cannot reach the scheduler ({exc}); start one with "
                                         f"'dask scheduler' or use local") from None
        with client:
            yield client
    finally:
        if cluster is not None:
            cluster.close()


def run_all(function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], *, jobs: int = 1,
            dask: str | None = None, progress: Progress | None = None) -> list[Any]:
    """[function(*task) for task in tasks], `jobs` processes at a time or on dask (see the module docstring)."""
    total = len(tasks)
    report = progress or (lambda done, total: None)
    if dask:
        with dask_client(dask, jobs) as client:
            return _gather(client.map(function, *zip(*tasks), pure=False) if tasks else [], report, total)
    if jobs <= 1 or total <= 1:
        out = []
        for k, task in enumerate(tasks):
            out.append(function(*task))
            report(k + 1, total)
        return out
    with ProcessPoolExecutor(max_workers=min(jobs, total)) as pool:
        futures = {pool.submit(function, *task): k for k, task in enumerate(tasks)}
        results: list[Any] = [None] * total
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            report(done, total)
        return results


def _gather(futures: list[Any], report: Progress, total: int) -> list[Any]:
    """Results of dask futures in submission order, reporting progress as they finish."""
    from distributed import as_completed as finished

    index = {future.key: k for k, future in enumerate(futures)}
    results: list[Any] = [None] * total
    for done, future in enumerate(finished(futures), 1):
        results[index[future.key]] = future.result()
        report(done, total)
    return results
