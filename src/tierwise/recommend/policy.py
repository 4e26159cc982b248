"""The recommendation module's policy: list sizes, model choice and business rules (YAML).

Validated strictly like the grading policy (unknown keys refused, every problem reported at
once with its key path). The default lives in ``policies/operations/recommend.yaml``::

    k: 10                      # items per list
    new_items:
      model: auto              # auto | als | item_knn | segment_popularity
    rules:
      out_of_stock: [HG0012]   # never recommended (a stock feed writes this list)
      blocked_categories:      # categories an outlet may not be offered, by cuisine
        素食: [鲜肉]
      margin_weight: 0.3       # new-item score × (1 + 0.3 × margin rate)
      clearance: {DP0007: 0.5} # stock clearance: score × (1 + 0.5)

``auto`` ships the CF model that beat the baselines on new items in the latest backtest
(:func:`tierwise.recommend.evaluate.ship_decision`); without a backtest, or when none beat
them, the new-items list is the similar-outlet popularity list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tierwise.policy.load import parse_module_policy, read_yaml

DEFAULT_POLICY = Path(__file__).resolve().parents[3] / "policies" / "operations" / "recommend.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rules(_Strict):
    out_of_stock: list[str] = Field(default_factory=list, description="SKUs never offered")
    blocked_categories: dict[str, list[str]] = Field(
        default_factory=dict, description="cuisine → categories not offered to it"
    )
    margin_weight: float = Field(0.0, ge=0, le=5, description="score × (1 + w × margin rate)")
    clearance: dict[str, float] = Field(
        default_factory=dict, description="sku → boost b: score × (1 + b)"
    )


class NewItems(_Strict):
    model: Literal["auto", "als", "item_knn", "segment_popularity"] = "auto"


class RecommendPolicy(_Strict):
    k: int = Field(10, ge=1, le=50)
    new_items: NewItems = NewItems()
    rules: Rules = Rules()


def parse_recommend_policy(data: Any, *, source: str = "<recommend policy>") -> RecommendPolicy:
    """Validate raw data; one :class:`PolicyError` lists every problem with its key path."""
    return parse_module_policy(
        RecommendPolicy,
        {} if data is None else data,
        source=source,
        what="recommend policy",
        hint="see docs/recommendations.md",
    )


def load_recommend_policy(path: Path | None = None) -> RecommendPolicy:
    """Read and validate ``path`` (default ``policies/operations/recommend.yaml``; built-in if absent)."""
    p = path or DEFAULT_POLICY
    if path is None and not p.is_file():
        return RecommendPolicy()
    return parse_recommend_policy(read_yaml(p), source=str(p))
