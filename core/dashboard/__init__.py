"""The dashboard's read side: figures for the Mini App (queries) and evidence previews."""
