"""Pure domain: snapshots, ratings, diffs and events. Standard library only, no I/O."""
