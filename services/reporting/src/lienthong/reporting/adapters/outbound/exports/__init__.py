"""A report as a file: CSV and XLSX tables, and a PDF with charts in the shape of a periodic report."""
