"""Every checkpoint's test-set records, AE and PCA side by side, with the classifier's accuracy on each.

What `python -m core.evaluate` prints: a table, or with `--json` one record per method and size.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.checkpoints.loaded import available_latent_dims
from core.evaluation.evaluate import METHODS, evaluate
from core.evaluation.recognition import ORIGINAL, classifier_accuracy
from core.levels import compression_pct


def all_records(latent_dims: list[int] | None = None, classifier: bool = True) -> list[dict]:
    """One record per (method, size) for every shipped checkpoint, AE then PCA.

    With `classifier`, each record also gets `classifier_accuracy` (the shipped classifier on
    that method's reconstructions of the test set), and one record is added for the
    original digits: `{"method": "original", "classifier_accuracy": ...}`.
    """
    dims = available_latent_dims() if latent_dims is None else latent_dims
    records = [evaluate(m, d).record() for d in dims for m in METHODS]
    if classifier:
        for r in records:
            r["classifier_accuracy"] = classifier_accuracy(r["method"], r["latent_dim"])
        records.append({"method": ORIGINAL, "classifier_accuracy": classifier_accuracy(ORIGINAL)})
    return records


def records_table(records: list[dict]) -> str:
    records = [r for r in records if "latent_dim" in r]  # the table is per size; "original" has none
    by = {(r["method"], r["latent_dim"]): r for r in records}
    lines = [
        f"{'compression':>11}  {'latent':>6}  {'AE MSE':>9}  {'PCA MSE':>9}  {'AE/PCA':>6}  "
        f"{'AE PSNR':>7}  {'PCA PSNR':>8}"
    ]
    for d in sorted({r["latent_dim"] for r in records}):
        ae, pca = by.get(("ae", d)), by.get(("pca", d))
        ratio = f"{ae['mse'] / pca['mse']:.2f}" if ae and pca else "-"
        lines.append(
            f"{compression_pct(d):10.1f}%  {d:>6}  {ae['mse'] if ae else float('nan'):9.6f}  "
            f"{pca['mse'] if pca else float('nan'):9.6f}  {ratio:>6}  "
            f"{ae['psnr'] if ae else float('nan'):7.2f}  {pca['psnr'] if pca else float('nan'):8.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from core.checkpoints.files import CheckpointError

    parser = argparse.ArgumentParser(prog="python -m core.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the records as one JSON list")
    parser.add_argument("--latent-dim", type=int, action="append", help="only these sizes (repeatable)")
    args = parser.parse_args(argv)
    try:
        records = all_records(args.latent_dim, classifier=args.json)
    except CheckpointError as exc:  # the classifier's ClassifierError included
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(records, indent=2) if args.json else records_table(records))
    return 0
