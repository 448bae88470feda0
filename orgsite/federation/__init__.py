"""Federation: following other communities, each checked from its own pinned root (design §8)."""
