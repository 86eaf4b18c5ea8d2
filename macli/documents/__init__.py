"""Documents on the patient's record (filed scans, PDFs, letters) and plain-language letters."""
