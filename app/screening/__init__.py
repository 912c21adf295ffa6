"""监测摸排: migrant and left-behind child screening.

This package's pure layer (no database, no HTTP):

- `template`: the template's columns and the template files.
- `parsing`: reading an uploaded CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX file as a stream.
- `rows`: validating and normalising one row, classifying it, and spotting in-file duplicates.
"""
