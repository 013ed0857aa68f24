"""Analytics across runs: per-run figures kept as runs settle, and the reports read from them."""
