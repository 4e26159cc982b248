"""Credit risk control (R-OPS-4): terms, deposits and limits from tier × risk band, holds.

- :mod:`.policy`: the credit policy (YAML → validated pydantic model);
- :mod:`.decide`: the pure decision of each customer's terms (vectorised);
- :mod:`.exposure`: available credit (可用额度) and the order check (pure);
- :mod:`.state`: the module's state in the store and the tier-writer hook.

See docs/credit.md.
"""
