"""The signing service's domain: certificates and verification verdicts (pure, no I/O)."""
