"""Automatic coding of customer utterances against a codebook."""
