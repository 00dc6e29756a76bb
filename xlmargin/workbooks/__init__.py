"""Template workbooks: built from code, recalculated headlessly."""
