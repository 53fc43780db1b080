"""The map's filters: each participant field and the table it is read from (p: participants, i: interviews).

Apart from the map's builder, so the CLI's filter options load without numpy, spaCy or scikit-learn.
"""

FILTER_FIELDS = {"persona": "p", "role": "p", "participation": "p", "segment": "p", "industry": "i", "region": "i", "product": "i", "source_type": "i"}
