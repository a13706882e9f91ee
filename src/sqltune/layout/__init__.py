"""The layout advisor: clustering keys, partitioning and BRIN recommended from a workload's usage statistics."""
