"""Care programmes run with partners (domain.md §10): each programme a sub-package."""
