"""Integrations with the tools around sqltune (dbt steps, Spark, Airflow): they depend on the API and the
core, never the reverse."""
