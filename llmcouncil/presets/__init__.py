"""Saved councils: a person's own (members, chairman, mode) and the shared ones admins keep."""
