"""The local forge: the report as files in an output folder (`forge`), rendered to HTML (`html`, `report.css`)."""
