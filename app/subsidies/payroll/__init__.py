"""生活补贴发放: the monthly living-allowance payroll (run, adjust, approve, export)."""
