"""强制报告: mandatory-report incidents, their status machine, escalation and notifications."""
