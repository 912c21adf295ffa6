"""智慧父母 parents' classes with the district's 关工委 (education, psychology, law experts)."""
