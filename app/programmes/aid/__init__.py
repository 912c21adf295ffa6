"""教育帮扶: education aid with the women's federation (春蕾女童, boys in difficulty)."""
