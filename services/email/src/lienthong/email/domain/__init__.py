"""The email service's domain: notifications and their delivery."""
