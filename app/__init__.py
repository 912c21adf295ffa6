"""困境儿童关爱服务 — case management for children in difficulty."""
