"""The performance log: its schema, loading from CSV/Parquet, validation, cell arrays."""

from budgetopt.data.load import load_log, validate_log
from budgetopt.data.schema import NAME_COLUMNS, NUMBER_COLUMNS, REQUIRED_COLUMNS

__all__ = ["NAME_COLUMNS", "NUMBER_COLUMNS", "REQUIRED_COLUMNS", "load_log", "validate_log"]
