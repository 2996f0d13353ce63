"""DVC integration without importing DVC: dvc.yaml/dvc.lock are read with PyYAML, DVC itself runs as a subprocess.

Submodules: `project` (what dvc.yaml declares, which files are DVC outputs), `metrics` (`dvc metrics diff`),
`files` (`dvc diff` as a "Files changed" section), `runner` (finding and running the `dvc` executable).
Importing this package imports nothing heavy; a GitHub run without DVC features never starts DVC.
"""
