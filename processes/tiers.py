"""The plan's tiers by participant count (section 三)."""

from __future__ import annotations

from models.event import Tier

THIRD_PARTY_MIN = 500  # R-TIER-1: ≥ 500 participants → accredited third-party evaluation
SELF_COMMITMENT_MIN = 200  # R-TIER-2: 200–499 → self-commitment; R-TIER-0: < 200 → out of scope


def tier_for(participants: int) -> Tier:
    """Return the tier the plan assigns to an event of this many participants."""
    if participants >= THIRD_PARTY_MIN:
        return Tier.THIRD_PARTY
    if participants >= SELF_COMMITMENT_MIN:
        return Tier.SELF_COMMITMENT
    return Tier.OUT_OF_SCOPE
