"""replicheck.stateful"""
