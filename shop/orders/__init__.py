"""Orders: the status machine and audit trail, buyer pages, seller pages, notices."""
