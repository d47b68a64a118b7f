"""Registry data beside the ledger (R-CAN-2, issue #22): imports of the registries' public exports
(`importer`, in the layouts of `adapters`) and each cancellation checked against them (`matching`).
Importing this package subscribes the check of newly recorded cancellations."""

from processes.registry import adapters, importer, matching, status

__all__ = ["adapters", "importer", "matching", "status"]
