"""医疗保险参保: insurance enrolment of the children in difficulty (issue 32)."""
