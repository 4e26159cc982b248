"""Read a policy's model predictions (``predictions: {path, columns}``, R-GRD-6) for a run.

The file is Parquet with ``entity_id`` and the declared columns, e.g. the models'
``$TIERWISE_HOME/models/predictions/latest.parquet``. With an ``as_of`` column the latest row
per entity on or before the run's as_of counts (rows after it are never read); without one,
every row is a prediction as of the run and an entity must appear once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from tierwise.errors import DataError
from tierwise.policy.schema import Policy


def predictions_file(policy: Policy, policy_dir: Path | None) -> Path | None:
    """The predictions file of ``policy`` (relative paths from ``policy_dir``), or None."""
    if policy.predictions is None:
        return None
    path = Path(policy.predictions.path)
    if not path.is_absolute() and policy_dir is not None:
        path = policy_dir / path
    return path


def read_predictions(
    con: Any, policy: Policy, policy_dir: Path | None, as_of: dt.date
) -> ir.Table | None:
    """``entity_id`` + the declared columns (float64), one row per entity; None if undeclared.

    Raises
    ------
    DataError
        The file is missing or unreadable, lacks ``entity_id`` or a declared column, or a
        column is not a number — one line naming the file.
    """
    path = predictions_file(policy, policy_dir)
    if path is None:
        return None
    hint = "write the model predictions there first (tierwise model train), or fix predictions.path"
    if not path.is_file():
        raise DataError(f"predictions file {path} does not exist", hint=hint)
    try:
        t = con.read_parquet(str(path))
        schema = t.schema()
    except Exception as err:  # any engine's read error: report the file, not a traceback
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"predictions file {path} cannot be read: {first}", hint=hint) from None
    cols = policy.prediction_columns
    for name in ("entity_id", *cols):
        if name not in schema:
            raise DataError(
                f"predictions file {path} has no column {name!r} (it has {', '.join(schema)})",
                hint="declare only columns the file has under predictions.columns",
            )
    for name in cols:
        dtype = schema[name]
        if not (dtype.is_numeric() or dtype.is_boolean() or dtype.is_null()):
            raise DataError(
                f"predictions file {path}: column {name!r} is {dtype}, expected a number",
                hint="predictions.columns lists numeric model outputs",
            )
    t = t.mutate(entity_id=t.entity_id.cast("string"))
    if "as_of" in schema:
        t = t.filter(t.as_of.cast("date") <= ibis.literal(as_of))
        latest = ibis.row_number().over(group_by=t.entity_id, order_by=ibis.desc(t.as_of))
        t = t.mutate(_pred_row=latest).filter(lambda x: x._pred_row == 0)
    else:
        dup = con.to_pyarrow(
            t.group_by("entity_id").aggregate(n=ibis._.count()).filter(ibis._.n > 1).limit(1)
        ).to_pylist()
        if dup:
            raise DataError(
                f"predictions file {path}: entity_id {dup[0]['entity_id']!r} appears "
                f"{dup[0]['n']} times (without an as_of column each entity has one row)",
                hint="write one prediction per entity, or add as_of",
            )
    return t.select("entity_id", **{c: t[c].cast("float64") for c in cols})
