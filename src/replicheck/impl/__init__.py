"""replicheck.impl"""
