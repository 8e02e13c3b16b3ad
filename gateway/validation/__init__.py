"""Validation: the rule engine, CISAC edit catalogue, society rule packs and reports."""
