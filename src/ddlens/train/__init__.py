"""Reproducible training of ddlens models (one module per model; CLI: ``ddlens train ...``)."""
