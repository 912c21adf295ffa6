"""爱心妈妈 caring mothers of the women's federation, paired with children who wish it."""
