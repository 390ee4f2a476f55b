"""Request validation: shapes from botocore's model (`shapes.py`) and cross-field rules (`rules.py`)."""
