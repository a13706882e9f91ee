"""Workloads: what runs, how often and how expensively, from logs, pg_stat_statements, warehouse history
and dbt runs, fingerprinted into query templates and usage statistics that the advisors consume."""
