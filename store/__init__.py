"""The only code that speaks SQL: tables, repositories and migrations."""
