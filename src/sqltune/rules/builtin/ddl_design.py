"""(being written)"""

RULES: list[type] = []
