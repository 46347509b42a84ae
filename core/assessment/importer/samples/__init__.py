"""Sample assessment documents shipped with the project.

A package (not just a folder) so that setuptools' ``"*.txt"`` package-data
rule installs the sample with the code.
"""

from pathlib import Path

#: The real Annex 3 of the district's 2020 plan, as UTF-8 text.
ANNEX3_2020 = Path(__file__).resolve().parent / "assessment-2020-annex3.txt"
