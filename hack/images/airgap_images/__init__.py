"""Workload images for the kind scenario, built here from registries' packages (see docs/kind-images.md)."""
