"""助学金 and 节日慰问: the education-grant and holiday-condolence runs."""
