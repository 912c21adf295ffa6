"""The screening import 摸排导入: from an uploaded file to merged records, in chunks.

In the order a file travels:

- `upload`: receiving the multipart upload, streamed to disk, its header checked at once.
- `template`: the template's columns (English and Chinese headers) and the template files.
- `table`: reading an uploaded CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX file as a stream of
  raw rows (`xlsx`: the lean streaming XLSX reader, with its limits).
- `rows`: validating and normalising one row, classifying it, and spotting in-file duplicates
  (`values`: the pure value checks it uses: dates, disability, ages, ID numbers).
- `prepare`: the CPU half: rows read, validated, de-duplicated, encrypted, encoded as COPY
  payloads, chunk by chunk (no database).
- `producer`: running `prepare` beside the merge, in a thread or in a child process
  (`child`: that process's entry point, `python -m app.screening.imports.child`).
- `merge`: the database half: COPY a chunk into staging, merge it, count it.
- `runner`: one import from start to end (the `screening.import` job), resumable by chunk.
"""
