"""The gateway's XML formats: works registrations, acknowledgements, distribution statements."""
