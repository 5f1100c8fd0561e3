"""Letter and mail templates (docx for Word, html/txt for mail), shipped as package data."""
