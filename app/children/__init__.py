"""困境儿童台账: the children's ledger."""
