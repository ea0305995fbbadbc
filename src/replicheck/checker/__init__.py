"""replicheck.checker"""
