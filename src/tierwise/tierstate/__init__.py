"""One tier state: the one decision of a customer's next tier and the one writer of it.

- :mod:`tierwise.tierstate.decide`: previous state + policy + computed tier/score + as-of →
  next state and its reasons (pure; the reference, one customer at a time);
- :mod:`tierwise.tierstate.decide_many`: the same decision vectorised for a whole run;
- the writer is in the store (:mod:`tierwise.store.tier_writer`): it writes state, history
  and outbox in the caller's transaction and calls the operations modules' hooks there.
"""
