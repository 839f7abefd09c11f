"""Benchmark: the Batch-effects report on 50,000 samples × 2,000 genes, in a background thread.

Run: .venv/bin/python tests/benchmarks/bench_batch.py [--samples 50000] [--genes 2000] [--threads 2]
Prints one JSON object: seconds for the PCA and for the metrics (silhouette, scib batch ASW,
iLISI, cLISI, kBET, PC regression, batch predictability), the subsample sizes they used, and
our silhouette beside scikit-learn's ``silhouette_score`` on the same points. The budget is
15 s for PCA + metrics on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import numpy as np

BUDGET_S = 15.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--genes", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-strength", type=float, default=0.3)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from guiapp.core.batch import metrics as bm
    from guiapp.core.batch.effects import pca_embedding
    from guiapp.core.data.demo import simulated_expression
    from guiapp.core.study.task_context import StopFlag, TaskContext

    t0 = time.perf_counter()
    d = simulated_expression(
        n_samples=args.samples, n_genes=args.genes, n_informative=50, batch_strength=args.batch_strength, seed=0
    )
    genes = [c for c in d.table.columns if c.startswith("GENE")]
    X = d.table[genes].to_numpy(dtype=np.float32)
    batches, labels = d.table["batch"].to_numpy(), d.table["condition"].to_numpy()
    del d
    generate_s = time.perf_counter() - t0

    result: dict = {}
    stop = StopFlag()
    steps: list = []

    def work():  # what the GUI's task runner does: core calls with progress and a stop flag
        try:
            start = time.perf_counter()
            pcs, evr = pca_embedding(X, seed=0)
            result["pca_s"] = time.perf_counter() - start
            start = time.perf_counter()
            m = bm.measure_batch_effect(
                pcs,
                evr,
                batches,
                labels,
                seed=0,
                ctx=TaskContext(
                    progress=lambda f, msg: steps.append((round(time.perf_counter() - start, 2), msg)),
                    should_stop=stop,
                ),
            )
            result["metrics_s"] = time.perf_counter() - start
            result["pcs"], result["metrics"] = pcs, m
        except BaseException as exc:  # reported, never swallowed
            result["error"] = repr(exc)

    with threadpool_limits(limits=args.threads):
        t0 = time.perf_counter()
        worker = threading.Thread(target=work, name="batch-report")
        worker.start()
        worker.join()
        total_s = time.perf_counter() - t0
        if "error" in result:
            raise SystemExit(result["error"])
        m, pcs = result["metrics"], result["pcs"]

        # The same silhouette, ours and scikit-learn's, on the same sampled points.
        from sklearn.metrics import silhouette_score

        pick = bm.subsample(len(pcs), bm.MAX_SAMPLES, 0)
        P, B = (pcs, batches) if pick is None else (pcs[pick], batches[pick])
        t = time.perf_counter()
        ours = bm.plain_batch_silhouette(P, B)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        theirs = float(silhouette_score(P, B))
        theirs_s = time.perf_counter() - t

    print(
        json.dumps(
            {
                "samples": args.samples,
                "genes": args.genes,
                "threads": args.threads,
                "generate_s": round(generate_s, 2),
                "pca_s": round(result["pca_s"], 2),
                "metrics_s": round(result["metrics_s"], 2),
                "pca_plus_metrics_s": round(total_s, 2),
                "budget_s": BUDGET_S,
                "within_budget": total_s <= BUDGET_S,
                "metric_steps": steps,
                "subsample": {
                    "silhouette_lisi_kbet": m.sample_size,
                    "kbet_tested": m.results["kbet_rejection"].extra["tested"],
                    "predictability": m.results["predictability"].extra["points"],
                    "pc_regression": m.results["pcr_batch"].extra["points"],
                },
                "metrics": {k: round(r.value, 4) if r.value is not None else None for k, r in m.results.items()},
                "lights": {k: r.light for k, r in m.results.items()},
                "silhouette_points": len(P),
                "silhouette_ours_s": round(ours_s, 3),
                "silhouette_sklearn_s": round(theirs_s, 3),
                "silhouette_ours": round(ours, 6),
                "silhouette_sklearn": round(theirs, 6),
                "silhouette_speedup": round(theirs_s / ours_s, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
