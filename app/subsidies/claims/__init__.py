"""医疗报销: medical reimbursement claims, filed, decided and paid."""
