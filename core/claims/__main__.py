"""`python -m core.claims CLAIM`: test one of the study's claims and print its record (`--json` for JSON).

`python -m core.claims all` prints every claim's verdict in a line; `python -m core.claims scalability
--measure` re-times the scalability experiment on this host and ships it (`make checkpoints` does).
"""

from __future__ import annotations

import argparse
import json
import sys

from core.claims.catalogue import CLAIMS, claim_record
from core.claims.record import ClaimRecord


def describe(record: ClaimRecord) -> str:
    """The record as text: the claim, the verdict, each part with its interval, the numbers' notes."""
    lines = [f"{record.title}: {record.outcome}", f"  claim: {record.claim}", f"  experiment: {record.experiment}"]
    lines += [f"  - {p.verdict.sentence.replace('**', '')}" for p in record.parts]
    lines += [f"  note: {n}" for n in record.notes]
    lines.append(f"  reproduce: {record.command}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.claims", description=__doc__.splitlines()[0])
    parser.add_argument("claim", help=f"one of: {', '.join(CLAIMS)}, or all")
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    parser.add_argument("--measure", action="store_true", help="scalability only: re-time it here and ship it")
    args = parser.parse_args(argv)
    keys = list(CLAIMS) if args.claim == "all" else [args.claim]
    if any(k not in CLAIMS for k in keys):
        print(f"error: unknown claim {args.claim!r}; one of: {', '.join(CLAIMS)}, all", file=sys.stderr)
        return 2
    from tqdm import tqdm

    from core.checkpoints.files import CheckpointError

    if args.measure:
        if keys != ["scalability"]:
            print("error: --measure applies to scalability only", file=sys.stderr)
            return 2
        from core.claims.scalability import write_shipped

        with tqdm(total=100, desc="timing", unit="%") as bar:
            write_shipped(lambda f, msg: (bar.update(round(100 * f) - bar.n), bar.set_postfix_str(msg)))
    records, failed = [], []
    for key in tqdm(keys, desc="claims", disable=len(keys) == 1, file=sys.stderr):
        try:
            records.append(claim_record(key))
        except (CheckpointError, OSError, ValueError) as exc:
            failed.append(f"error: {key}: {exc}")
    for line in failed:
        print(line, file=sys.stderr)
    if not records:
        return 1
    if args.json:
        out = [r.to_dict() for r in records]
        print(json.dumps(out[0] if len(out) == 1 else out, indent=1))
    else:
        print("\n\n".join(describe(r) for r in records))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
