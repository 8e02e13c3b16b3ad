"""The fixed-width EDI engine CISAC formats share (CWR, CRD): layouts, lines, envelope."""
