"""Contract suites for the persistence ports: written once, run against the fake (tests/unit) and against
Firestore on the emulator (tests/integration). Each module holds one ``...Contract`` class per port; a tier
runs it by subclassing it next to ``store`` and ``identity`` fixtures (see test_store_contract.py there).
"""
