"""Units (the organisation tree), users, memberships with roles, sign-in and API tokens."""
