"""Society Exchange Gateway: CWR validation, translation, acknowledgement and routing."""
