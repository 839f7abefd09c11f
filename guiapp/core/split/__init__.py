"""The Split step (Tip 7): train / tune / sealed test, and the remedies the split applies."""
