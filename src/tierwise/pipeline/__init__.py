"""Pipelines: ordered steps that chain the stages and own the I/O between them.

Importing the package wires the operations modules to the one tier writer: their hooks run
in the transaction of every publication and real-time regrade (docs/architecture.md).
"""

from tierwise.ops.benefits.ledger import HOOK_NAME, sync_grants
from tierwise.store.tier_writer import register_hook

register_hook(HOOK_NAME, sync_grants)
