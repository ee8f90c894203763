"""The performance log: its schema, reading it from our format or an ad platform's export, validation."""

from budgetopt.data.columns import load_column_map
from budgetopt.data.load import load_log, validate_log
from budgetopt.data.read import LoadedLog, read_log
from budgetopt.data.schema import (
    ID_COLUMNS,
    NAME_COLUMNS,
    NUMBER_COLUMNS,
    REQUIRED_COLUMNS,
)

__all__ = [
    "ID_COLUMNS", "NAME_COLUMNS", "NUMBER_COLUMNS", "REQUIRED_COLUMNS",
    "LoadedLog", "load_column_map", "load_log", "read_log", "validate_log",
]
