"""Reconciliation of returned royalties: exact money, FX, matching and discrepancies (pure).

``money`` holds amounts as ``Decimal`` at their currency's ISO 4217 scale and splits them
exactly; ``fx`` reads a table of dated rates and converts with the evidence kept. The rules a
finance team can check are in ``docs/money.md``.
"""
