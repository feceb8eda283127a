"""The simulated city of tools/wtsim, split by role: world (the static map
and its registries), city (the discrete-event simulation), faults (malformed
messages and duplicates, the numbered crash-test mode), output (publishing).
"""
