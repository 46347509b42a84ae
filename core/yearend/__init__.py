"""The year end around the scoring engine: self-assessment, feedback, re-check, approval,
final, and the two Word documents (the results notice and each department's feedback sheet).

Its use cases take the narrow readers and writer of `interfaces.py` explicitly (no
session): `sql.SqlYearEnd` implements them, and scoring's ports, on the unit of work's
session; tests/yearend_fakes.py is the recording fake the unit tests use."""
