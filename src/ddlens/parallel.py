"""Process-parallel analysis: each worker builds its own Lens once and analyses whole
files (reading, Markdown parsing and the pipeline), results come back in input order."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from typing import TYPE_CHECKING, Any, Iterable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from .lens import Lens, Outcome

_WORKER_LENS: "Lens | None" = None


def _init_worker(options: dict[str, Any] | None) -> None:
    global _WORKER_LENS
    if options is None:  # forked: the parent's Lens (models loaded, matchers built) is ours
        return
    from .lens import load

    _WORKER_LENS = load(
        components=options.get("components"),
        config=options.get("config"),
        spacy_model=options.get("spacy_model"),
        max_bytes=options.get("max_bytes", 10 * 1024 * 1024),
        cache=options.get("cache"),
    )


def _work(batch: list[Any]) -> list["Outcome"]:
    assert _WORKER_LENS is not None
    return list(_WORKER_LENS.analyze_many(batch, n_process=1))


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for x in items:
        batch.append(x)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def analyze_parallel(lens: "Lens", items: Iterable[Any], n_process: int, batch_size: int = 32) -> Iterator["Outcome"]:
    n = (os.cpu_count() or 1) if n_process <= 0 else n_process
    global _WORKER_LENS
    fork = "fork" in mp.get_all_start_methods()
    ctx = mp.get_context("fork" if fork else "spawn")
    if fork:
        lens.nlp  # a lazy Lens builds its pipeline now, once, for every worker to share
        _WORKER_LENS = lens  # inherited by the forked workers: nothing is loaded twice
        # objects alive now (the models, the vocab) go to the GC's permanent generation, so
        # the workers' collections never write to their pages and they stay shared
        gc.freeze()
    try:
        with ctx.Pool(n, initializer=_init_worker, initargs=(None if fork else lens.options,)) as pool:
            # imap keeps input order; a bounded number of batches is in flight at a time
            for results in pool.imap(_work, _batches(items, batch_size)):
                yield from results
    finally:
        if fork:
            gc.unfreeze()
