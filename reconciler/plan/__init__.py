"""The pure planning core: normalise, diff, plan. No I/O."""
