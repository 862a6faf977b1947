"""Services of the tracker app that write its own bookkeeping rows (DESIGN.md, "One door")."""
