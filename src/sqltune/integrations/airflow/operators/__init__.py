"""The operators, one module each (Airflow's provider layout): snapshot, regression, lint; and what they share
for their results (:mod:`~sqltune.integrations.airflow.operators.results`)."""
