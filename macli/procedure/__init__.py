"""Minor in-office procedures: types, prep sheets, the safety checklist, what was used."""
