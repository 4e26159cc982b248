"""Common random numbers: uniforms addressed by (seed, purpose, customer, day, slot).

A treatment changes how many orders happen, so a plain random stream would hand every later
draw to a different order and the two worlds (with and without the treatment) would differ
by chance as well as by the treatment. Here each random number is a hash of its address (a
counter-based generator: SplitMix64's finaliser, vectorised in numpy), so an order of a given
customer on a given day gets the same uniforms in every world. numpy's Philox is counter
based too, but takes one key per generator, not one per element, hence these few lines.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (a bijection of uint64 with good avalanche)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    out: np.ndarray = x ^ (x >> np.uint64(31))
    return out


def uniforms(seed: int, purpose: int, *keys: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) (float64), one per element of the broadcast ``keys``."""
    with np.errstate(over="ignore"):
        h = _mix(np.asarray([seed], np.uint64) * _GOLDEN + np.uint64(purpose))
        for key in keys:
            h = _mix(h ^ (np.asarray(key).astype(np.uint64) + _GOLDEN))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


class AddressNoise:
    """:class:`tierwise.generate.lines.Noise` for orders addressed by (customer, day)."""

    def __init__(self, seed: int, cust: np.ndarray, day: np.ndarray) -> None:
        self.seed = seed
        self.cust = cust
        self.day = day

    def slots(self, purpose: int, width: int) -> np.ndarray:
        cols = np.arange(width)[None, :]
        return uniforms(
            self.seed, 100 + purpose, self.cust[:, None], self.day[:, None], cols
        ).astype(np.float32)

    def lines(self, purpose: int, order: np.ndarray, slot: np.ndarray) -> np.ndarray:
        return uniforms(self.seed, 100 + purpose, self.cust[order], self.day[order], slot)
