"""Plain libraries: model seam, settings, scan reading, OCR, lettering and rendering. No LangGraph here."""
