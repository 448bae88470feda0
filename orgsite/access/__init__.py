"""Who may come in: the allowlist at the branch tip opens every door (design §7)."""
