"""Human feedback on runs: one vote per person per run."""
