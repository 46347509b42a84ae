"""The year end around the scoring engine: self-assessment, feedback, re-check, approval,
final, and the two Word documents (the results notice and each department's feedback sheet)."""
