"""Pipelines: ordered steps that chain the stages and own the I/O between them.

Importing the package wires the operations modules to the one tier writer: their hooks run
in the transaction of every publication and real-time regrade (docs/architecture.md):
benefit grants (R-OPS-2), visit cadences (R-OPS-8) and triggered campaigns (R-OPS-6).
"""

from tierwise.ops.benefits.ledger import HOOK_NAME, sync_grants
from tierwise.ops.campaigns.triggers import HOOK as CAMPAIGNS_HOOK
from tierwise.ops.campaigns.triggers import on_tier_write
from tierwise.ops.visits.state import HOOK as VISITS_HOOK
from tierwise.ops.visits.state import sync_cadence
from tierwise.store.tier_writer import register_hook

register_hook(HOOK_NAME, sync_grants)
register_hook(VISITS_HOOK, sync_cadence)
register_hook(CAMPAIGNS_HOOK, on_tier_write)
