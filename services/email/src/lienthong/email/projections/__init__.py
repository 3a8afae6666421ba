"""Read models of the email service."""
