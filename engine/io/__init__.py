"""Paper-data import (CSV, XLSX) and exports (CSV, XLSX, SPSS .sav, codebook) of a wave."""

from .importer import ImportReport, ImportResult, Problem, check_file, import_valid

__all__ = ["ImportReport", "ImportResult", "Problem", "check_file", "import_valid"]
