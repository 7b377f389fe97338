"""Import feature modules that add commands to ``contest_cli``. One line per feature."""
