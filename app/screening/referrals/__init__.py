"""监测摸排转介: referrals of screened migrant children's findings to education, health and the
disabled persons' federation, on the incidents' referral machinery (table, deadline,
escalation, signed webhooks)."""
