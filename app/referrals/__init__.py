"""转介: referrals of incidents to partner agencies, as the agencies see them."""
