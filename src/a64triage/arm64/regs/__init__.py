"""Register tables, one module per register family (ESR lives in ``esr.py``)."""
