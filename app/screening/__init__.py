"""监测摸排: migrant and left-behind child screening.

The domain's layers (`router` → `service` → `repository`, with `schemas`, `projection`,
`errors`, `jobs` and `demo`) sit here; the import pipeline is the sub-package `imports`.
"""
