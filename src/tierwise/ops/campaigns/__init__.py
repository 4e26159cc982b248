"""Campaigns, coupons and content by tier, each with a holdout (R-OPS-6, R-ANA-6, issue 24).

- :mod:`.spec`: a campaign's definition and the module policy (data, validated strictly);
- :mod:`.content`: message templates with known variables, the variant by preference layer;
- :mod:`.decide`: the pure decision of who gets which message (holdout, cap, opt-outs,
  quiet hours, rate, budget);
- :mod:`.coupons`: coupon templates per tier, unique codes, the redemption check (pure);
- :mod:`.service`: campaigns, sends, coupons, opt-outs and callbacks in the store, messages
  through the webhook outbox (event ``campaign.message``);
- :mod:`.triggers`: the tier-writer hook that sends the ``tier_change`` campaigns.

Measurement against the holdout lives in :mod:`tierwise.experiments.campaigns` (it reuses
the experiments' estimators). See docs/campaigns.md.
"""
