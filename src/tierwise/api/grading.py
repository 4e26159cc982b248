"""What the API does with policies and runs: validate, dry-run, publish, start (R-GRD-12).

Plain functions over the grading engine (:mod:`tierwise.policy`, :mod:`tierwise.grading`) and
the store; the routers only translate HTTP. A run started here is graded in a background
thread, published through :class:`tierwise.store.runs.RunStore` and then refreshes the read
model (:func:`tierwise.pipeline.publish.grade_and_publish`), so ``GET /runs/{id}`` shows
``running`` → ``published`` (or ``failed`` with the error).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from tierwise.errors import ConflictError, PolicyError, UsageError
from tierwise.features.build import GROUP_TABLES, groups_for
from tierwise.pipeline.diff import policy_diff
from tierwise.pipeline.publish import begin_run, grade_and_publish
from tierwise.policy import Policy, parse_policy, policy_hash
from tierwise.policy.engine import required_features
from tierwise.policy.source import locate
from tierwise.store.runs import RunStore


def parse_text(text: str, source: str = "<request>") -> Policy:
    """A policy from YAML text; :class:`PolicyError` with every problem otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem: dict[str, Any] = {"path": "(yaml)", "message": f"not valid YAML{where}"}
        if mark:
            problem |= {"kind": "yaml", "line": mark.line + 1, "ctx": {"column": mark.column + 1}}
        raise PolicyError(
            f"{source}: not valid YAML{where}", file=source, problems=[problem]
        ) from None
    return parse_policy(data, source=source)


def check(text: str) -> dict[str, Any]:
    """Validation result of a policy text (never raises for an invalid policy)."""
    try:
        policy = parse_text(text)
    except PolicyError as err:
        problems = err.fields.get("problems") or [{"path": "(top)", "message": err.message}]
        for p in problems:  # the line of each key path in the text (issue 18 finding 6)
            if "line" not in p and p["path"] not in ("(top)", "(yaml)"):
                p["line"] = locate(text, p["path"])
        return {
            "valid": False,
            "name": None,
            "policy_hash": None,
            "tiers": [],
            "problems": problems,
        }
    return {
        "valid": True,
        "name": policy.name,
        "policy_hash": policy_hash(policy),
        "tiers": [lv.code for lv in policy.tiers.levels],
        "problems": [],
    }


def tables_read(policy: Policy) -> list[str]:
    """The lake tables the policy's features read."""
    return sorted({t for g in groups_for(required_features(policy)) for t in GROUP_TABLES[g]})


def dry_run(
    policy: Policy,
    *,
    as_of: dt.date,
    lake: Path,
    engine: Engine,
    policy_dir: Path | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The dry run of ``policy`` against the published tiers, for the API and the console.

    :func:`tierwise.pipeline.diff.policy_diff` (the one dry run, also ``tierwise policy
    diff``), shaped as the API answers it: the computed tier counts, the matrix current tier
    → computed tier (before stability rules), the counts per move (up, down, entered, left,
    other, same) and ``changes``, each customer whose tier would change as ``(customer_id,
    from_tier, to_tier)``. ``policy_dir`` is where the policy's relative files are found
    (the policies folder). Nothing is published.
    """
    d = policy_diff(
        policy, lake=lake, engine=engine, as_of=as_of, policy_dir=policy_dir, examples=0,
        clock=lambda: now,
    )  # fmt: skip
    return {
        "policy_name": d.policy_name,
        "policy_hash": d.policy_hash,
        "as_of": d.as_of,
        "customers": d.customers,
        "changed": d.changed,
        "tiers": d.tiers,
        "matrix": [
            {"from_tier": a, "to_tier": b, "customers": n} for (a, b), n in d.matrix.items()
        ],
        **d.moves,
        "changes": d.changes,
    }


def start_run(
    engine: Engine,
    policy: Policy,
    *,
    as_of: dt.date,
    lake: Path,
    runs: Path,
    policy_dir: Path | None,
    now: dt.datetime,
    trigger: str = "api",
) -> tuple[str, threading.Thread]:
    """Grade, publish and refresh the read model in a background thread; the run's id now.

    The run is recorded (:func:`tierwise.pipeline.publish.begin_run`) before this returns;
    the work is :func:`tierwise.pipeline.publish.grade_and_publish`, the path every caller
    takes.
    :class:`ConflictError` while another run is running (the store refuses overlapping runs
    in any case; this answers 409 instead of a run that fails at once).
    """
    running = RunStore(engine).running(now)  # dead runs are failed first
    if running is not None:
        raise ConflictError(
            f"run {running!r} is still running", hint="wait for it to finish", run_id=running
        )
    # recorded before answering, so GET /runs/{id} finds it at once
    try:
        run_id = begin_run(RunStore(engine), policy, as_of=as_of, started=now, trigger=trigger)
    except UsageError as err:  # another run began meanwhile: the store refuses overlap
        raise ConflictError(str(err.message), hint=err.hint, **err.fields) from err

    def work() -> None:
        # a failure is recorded on the run by grade_and_publish; nothing else to do here
        with contextlib.suppress(Exception):
            grade_and_publish(
                policy,
                as_of=as_of,
                lake=lake,
                runs=runs,
                engine=engine,
                trigger=trigger,
                policy_dir=policy_dir,
                run_id=run_id,
            )

    thread = threading.Thread(target=work, name=f"run-{run_id}", daemon=True)
    thread.start()
    return run_id, thread
