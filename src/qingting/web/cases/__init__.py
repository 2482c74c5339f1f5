"""Cases (诉求办理) — see docs and the app's modules."""
