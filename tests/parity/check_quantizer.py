"""placeholder"""
CHECKS = []
