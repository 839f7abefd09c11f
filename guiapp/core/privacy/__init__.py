"""The Ethics & privacy step (Tip 10): the ethics register, the membership audit and differential privacy."""
