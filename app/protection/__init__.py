"""未成年人社会保护中心: the minors' protection centre's register (Minors Protection Law arts. 92–94)."""
