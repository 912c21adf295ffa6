"""文件与照片: the document store (evidence, visit photos, consents, decisions)."""
